#include "heartbeat.h"

#include <spdlog/spdlog.h>

#include <sstream>
#include <string>

namespace qyolo::distributed {

Heartbeat::Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank,
                     std::chrono::milliseconds interval,
                     const std::atomic<int64_t>& collectives_started)
    : store_(std::move(store)),
      rank_(rank),
      interval_(interval),
      collectives_started_(collectives_started) {
  // The first beat is written synchronously so that peers always find the key.
  publish();
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      try {
        publish();
      } catch (const std::exception& e) {
        // The store lives in rank 0; when it is gone the next collective reports it.
        spdlog::debug("rank {}: heartbeat stopped: {}", rank_, e.what());
        return;
      }
      lock.lock();
    }
  });
}

Heartbeat::~Heartbeat() { stop(); }

void Heartbeat::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Heartbeat::key(int rank) { return "heartbeat/" + std::to_string(rank); }

void Heartbeat::publish() {
  ++beats_;
  const std::string value =
      std::to_string(beats_) + " " + std::to_string(collectives_started_.load());
  store_->set(key(rank_), std::vector<uint8_t>(value.begin(), value.end()));
}

std::vector<PeerBeat> Heartbeat::read_all(c10d::Store& store, int world_size) {
  std::vector<PeerBeat> beats(world_size);
  for (int r = 0; r < world_size; ++r) {
    const auto bytes = store.get(key(r));
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    in >> beats[r].beats >> beats[r].collectives;
  }
  return beats;
}

}  // namespace qyolo::distributed
