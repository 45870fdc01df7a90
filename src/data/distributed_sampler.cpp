#include "qyolo/data/distributed_sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <numeric>

#include "qyolo/core/error.h"

namespace qyolo::data {

DistributedSampler::DistributedSampler(int64_t dataset_size, SamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size) {
    throw UsageError("sampler: rank " + std::to_string(options_.rank) +
                     " is not in [0, world size " + std::to_string(options_.world_size) + ")");
  }
  const int64_t world = options_.world_size;
  if (options_.drop_last && dataset_size_ % world != 0) {
    num_samples_ = (dataset_size_ - world + world - 1) / world;  // ceil((n - world) / world)
  } else {
    num_samples_ = (dataset_size_ + world - 1) / world;
  }
}

std::vector<int64_t> DistributedSampler::indices(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_size_));
  if (options_.shuffle) {
    auto generator = at::detail::createCPUGenerator(options_.seed + static_cast<uint64_t>(epoch));
    const torch::Tensor perm = torch::randperm(dataset_size_, generator, torch::kLong);
    std::copy(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + dataset_size_, order.begin());
  } else {
    std::iota(order.begin(), order.end(), 0);
  }
  const size_t total = static_cast<size_t>(num_samples_ * options_.world_size);
  if (order.size() < total && !order.empty()) {
    const size_t original = order.size();
    for (size_t k = 0; order.size() < total; ++k) order.push_back(order[k % original]);
  }
  order.resize(total);
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(num_samples_));
  for (size_t k = static_cast<size_t>(options_.rank); k < total; k += options_.world_size) {
    mine.push_back(order[k]);
  }
  return mine;
}

}  // namespace qyolo::data
