#include "qyolo/data/loader.h"

#include <algorithm>

#include "qyolo/core/error.h"

namespace qyolo::data {
namespace {

SamplerOptions sampler_options(const LoaderOptions& o) {
  SamplerOptions s;
  s.rank = o.rank;
  s.world_size = o.world_size;
  s.shuffle = o.shuffle;
  s.seed = o.seed;
  return s;
}

}  // namespace

Loader::Loader(std::shared_ptr<Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)),
      options_(options),
      sampler_(dataset_ ? dataset_->size() : 0, sampler_options(options)) {
  TORCH_CHECK(dataset_ != nullptr, "Loader needs a data set");
  if (options_.batch_size < 1 || options_.workers < 0 || options_.prefetch_batches < 0) {
    throw UsageError("loader: batch size must be >= 1 and workers, prefetch >= 0 (got batch " +
                     std::to_string(options_.batch_size) + ", workers " +
                     std::to_string(options_.workers) + ", prefetch " +
                     std::to_string(options_.prefetch_batches) + ")");
  }
  // Rect batches are letterboxed to per-batch shapes, so loader batches must be the data set's.
  const auto& d = dataset_->options();
  if (d.rect &&
      (options_.shuffle || options_.batch_size != d.batch_size || options_.world_size != 1)) {
    throw UsageError("loader: a rect data set (batch " + std::to_string(d.batch_size) +
                     ") needs shuffle off, the same batch size and one process (got shuffle " +
                     (options_.shuffle ? "on" : "off") + ", batch " +
                     std::to_string(options_.batch_size) + ", world size " +
                     std::to_string(options_.world_size) + ")");
  }
  if (options_.prefetch_batches == 0) options_.prefetch_batches = std::max(1, 2 * options_.workers);
}

Loader::~Loader() { stop_workers(); }

int64_t Loader::size() const {
  const int64_t n = sampler_.num_samples();
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

int64_t Loader::peak_batches_in_memory() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_in_memory_;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_available_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Loader::start_epoch(int64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  order_ = sampler_.indices(epoch);
  batches_ = size();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.clear();
    next_to_claim_ = next_to_yield_ = 0;
    peak_in_memory_ = 0;
    stopping_ = false;
    failure_ = nullptr;
  }
  for (int w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

Batch Loader::build_batch(int64_t batch_index) const {
  const int64_t first = batch_index * options_.batch_size;
  const int64_t last = std::min<int64_t>(first + options_.batch_size, order_.size());
  std::vector<Sample> samples;
  samples.reserve(static_cast<size_t>(last - first));
  for (int64_t pos = first; pos < last; ++pos) {
    // Keyed by the position across all ranks, so ranks never share an augmentation stream.
    SampleRng rng(options_.seed, epoch_, pos * options_.world_size + options_.rank);
    samples.push_back(dataset_->get(order_[pos], rng));
  }
  return collate(std::move(samples), options_.pin_memory);
}

void Loader::worker_loop() {
  // OpenCV was made single-threaded by the Dataset (use_single_threaded_opencv): the workers are
  // the parallelism, and cv::setNumThreads must never run while other threads use OpenCV.
  while (true) {
    int64_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_available_.wait(lock, [&] {
        return stopping_ || next_to_claim_ >= batches_ ||
               next_to_claim_ < next_to_yield_ + options_.prefetch_batches;
      });
      if (stopping_ || next_to_claim_ >= batches_) return;
      index = next_to_claim_++;
      peak_in_memory_ = std::max(peak_in_memory_, next_to_claim_ - next_to_yield_);
    }
    try {
      Batch batch = build_batch(index);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(index, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      stopping_ = true;
    }
    batch_ready_.notify_all();
    space_available_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  TORCH_CHECK(epoch_ >= 0, "Loader::next() before start_epoch()");
  if (next_to_yield_ >= batches_) return std::nullopt;
  if (options_.workers == 0) {
    peak_in_memory_ = 1;
    return build_batch(next_to_yield_++);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  batch_ready_.wait(lock, [&] { return failure_ || ready_.count(next_to_yield_) > 0; });
  if (failure_) std::rethrow_exception(failure_);
  Batch batch = std::move(ready_.at(next_to_yield_));
  ready_.erase(next_to_yield_);
  ++next_to_yield_;
  lock.unlock();
  space_available_.notify_all();
  return batch;
}

}  // namespace qyolo::data
