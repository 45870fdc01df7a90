// Which data set indices one process reads in an epoch, as torch.utils.data.DistributedSampler:
// the same (seed + epoch) permutation on every rank, padded by repeating its head to a multiple
// of the world size (or truncated with drop_last), then every world_size-th index from rank.
#pragma once

#include <cstdint>
#include <vector>

namespace qyolo::data {

struct SamplerOptions {
  int rank = 0;
  int world_size = 1;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // drop the tail instead of padding it
};

class DistributedSampler {
 public:
  DistributedSampler(int64_t dataset_size, SamplerOptions options);

  // Indices for this rank in `epoch` (torch.randperm with a generator seeded seed + epoch).
  std::vector<int64_t> indices(int64_t epoch) const;
  int64_t num_samples() const { return num_samples_; }

 private:
  int64_t dataset_size_;
  SamplerOptions options_;
  int64_t num_samples_;
};

}  // namespace qyolo::data
