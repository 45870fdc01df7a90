// Liveness of the ranks of a run, published through the rendezvous store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

namespace qyolo::distributed {

// What a rank last published: how many beats it has sent and how many collectives it has started.
struct PeerBeat {
  int64_t beats = 0;
  int64_t collectives = 0;
};

// A thread that writes this rank's beat count and collective count to the store every interval,
// over a store connection of its own (store clients are not shared between threads).
class Heartbeat {
 public:
  Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, std::chrono::milliseconds interval,
            const std::atomic<int64_t>& collectives_started);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Joins the thread; idempotent.
  void stop();

  static std::string key(int rank);
  // Reads every rank's last beat; throws what the store throws when it cannot be reached.
  static std::vector<PeerBeat> read_all(c10d::Store& store, int world_size);

 private:
  void publish();

  c10::intrusive_ptr<c10d::Store> store_;
  int rank_;
  std::chrono::milliseconds interval_;
  const std::atomic<int64_t>& collectives_started_;
  int64_t beats_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace qyolo::distributed
