// Threaded, prefetching batch loader. Worker threads build whole batches ahead of the consumer
// but never more than `prefetch_batches` beyond it, so memory stays flat over an epoch. Each
// sample draws its augmentation from SampleRng(seed, epoch, position in the epoch), so the
// batches are identical for a given seed whatever the thread count or timing.
#pragma once

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "qyolo/data/collate.h"
#include "qyolo/data/dataset.h"
#include "qyolo/data/distributed_sampler.h"

namespace qyolo::data {

struct LoaderOptions {
  int batch_size = 16;
  int workers = 2;           // 0 builds batches on the calling thread
  int prefetch_batches = 0;  // batches allowed in memory ahead of the consumer; 0 = 2 per worker
  bool shuffle = true;
  bool drop_last = false;  // drop the last incomplete batch
  uint64_t seed = 0;
  int rank = 0;  // distributed: this process and the number of processes
  int world_size = 1;
  bool pin_memory = torch::cuda::is_available();
};

class Loader {
 public:
  Loader(std::shared_ptr<Dataset> dataset, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Batches per epoch on this rank (for progress bars).
  int64_t size() const;
  // Starts (or restarts) reading `epoch`: reshuffles and launches the workers.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch in order, or nothing at its end. Rethrows a worker's
  // failure (an unreadable image, ...).
  std::optional<Batch> next();

  Dataset& dataset() { return *dataset_; }
  const LoaderOptions& options() const { return options_; }
  // Largest number of batches that were ever claimed by workers but not yet consumed.
  int64_t peak_batches_in_memory() const;

 private:
  void stop_workers();
  void worker_loop();
  Batch build_batch(int64_t batch_index) const;

  std::shared_ptr<Dataset> dataset_;
  LoaderOptions options_;
  DistributedSampler sampler_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;  // this rank's data set indices for the epoch
  int64_t batches_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable space_available_, batch_ready_;
  std::vector<std::thread> workers_;
  std::map<int64_t, Batch> ready_;
  int64_t next_to_claim_ = 0;
  int64_t next_to_yield_ = 0;
  int64_t peak_in_memory_ = 0;
  bool stopping_ = false;
  std::exception_ptr failure_;
};

}  // namespace qyolo::data
