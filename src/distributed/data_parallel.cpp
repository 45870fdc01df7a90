#include "qyolo/distributed/data_parallel.h"

#include <algorithm>
#include <mutex>

namespace qyolo::distributed {
namespace {

// One parameter's place in its bucket.
struct Slot {
  torch::Tensor param;
  int64_t offset = 0;
  bool ready = false;
};

// Gradients reduced together: their values, then one marker per slot that is 1 on the ranks
// where the parameter got a gradient, so that after the reduction every rank knows whether
// any rank had one.
struct Bucket {
  torch::Tensor flat;
  std::vector<Slot> slots;
  int64_t gradients = 0;  // elements before the markers
  size_t pending = 0;
  PendingCollective reduction;
};

}  // namespace

class DataParallel::Impl {
 public:
  Impl(torch::nn::Module& module, Context& context, const DataParallelOptions& options)
      : context_(context) {
    // Reverse registration order approximates the order in which backward produces gradients.
    std::vector<torch::Tensor> params;
    for (const auto& p : module.parameters()) {
      if (p.requires_grad()) params.push_back(p);
    }
    std::reverse(params.begin(), params.end());
    const double cap_bytes = options.bucket_mb() * 1024.0 * 1024.0;
    std::vector<std::vector<torch::Tensor>> groups;
    double group_bytes = 0;
    for (const auto& p : params) {
      const double bytes = static_cast<double>(p.numel() * p.element_size());
      const bool fits = !groups.empty() && groups.back().front().scalar_type() == p.scalar_type() &&
                        groups.back().front().device() == p.device() &&
                        group_bytes + bytes <= cap_bytes;
      if (!fits) {
        groups.emplace_back();
        group_bytes = 0;
      }
      groups.back().push_back(p);
      group_bytes += bytes;
    }
    for (auto& group : groups) add_bucket(group);
  }

  ~Impl() {
    for (auto& [param, handle] : hooks_) param.remove_hook(handle);
  }

  void synchronize() {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::NoGradGuard no_grad;
    while (next_launch_ < buckets_.size()) launch(buckets_[next_launch_++]);
    for (auto& bucket : buckets_) bucket.reduction.wait();
    for (auto& bucket : buckets_) {
      const auto markers = bucket.flat.narrow(0, bucket.gradients, bucket.slots.size())
                               .to(torch::kCPU, torch::kDouble);
      const double* had_gradient = markers.data_ptr<double>();
      for (size_t s = 0; s < bucket.slots.size(); ++s) {
        Slot& slot = bucket.slots[s];
        slot.ready = false;
        if (had_gradient[s] <= 0 || !slot.param.requires_grad()) continue;
        const auto mean =
            bucket.flat.narrow(0, slot.offset, slot.param.numel()).view_as(slot.param);
        auto& grad = slot.param.mutable_grad();
        if (grad.defined()) {
          grad.add_(mean);
        } else {
          grad = mean.clone();
        }
      }
      bucket.pending = bucket.slots.size();
    }
    next_launch_ = 0;
  }

  size_t num_buckets() const { return buckets_.size(); }

 private:
  void add_bucket(const std::vector<torch::Tensor>& params) {
    const size_t index = buckets_.size();
    Bucket& bucket = buckets_.emplace_back();
    for (const auto& p : params) {
      bucket.slots.push_back(Slot{p, bucket.gradients});
      bucket.gradients += p.numel();
    }
    bucket.flat = torch::zeros({bucket.gradients + static_cast<int64_t>(params.size())},
                               params.front().options().requires_grad(false));
    bucket.pending = bucket.slots.size();
    for (size_t s = 0; s < params.size(); ++s) {
      auto param = params[s];
      const unsigned handle = param.register_hook([this, index, s](const torch::Tensor& grad) {
        on_gradient(index, s, grad);
        // .grad receives the rank mean in synchronize(), not the local gradient.
        return torch::zeros_like(grad);
      });
      hooks_.emplace_back(param, handle);
    }
  }

  void on_gradient(size_t bucket_index, size_t slot_index, const torch::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::NoGradGuard no_grad;
    Bucket& bucket = buckets_[bucket_index];
    Slot& slot = bucket.slots[slot_index];
    TORCH_CHECK(!slot.ready,
                "a second backward reached a parameter before synchronize(); call "
                "DataParallel::synchronize() after every backward");
    TORCH_CHECK(bucket_index >= next_launch_, "gradient arrived for an already reduced bucket");
    slot.ready = true;
    bucket.flat.narrow(0, slot.offset, slot.param.numel()).view_as(grad).copy_(grad);
    bucket.flat[bucket.gradients + static_cast<int64_t>(slot_index)] = 1;
    --bucket.pending;
    // Buckets are launched strictly in order so that every rank issues the same sequence of
    // collectives even when backward finishes them in a different order.
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
      launch(buckets_[next_launch_++]);
    }
  }

  void launch(Bucket& bucket) {
    for (size_t s = 0; s < bucket.slots.size(); ++s) {
      const Slot& slot = bucket.slots[s];
      if (slot.ready) continue;
      bucket.flat.narrow(0, slot.offset, slot.param.numel()).zero_();
      bucket.flat[bucket.gradients + static_cast<int64_t>(s)] = 0;
    }
    // Dividing before the sum keeps the values in range for low-precision gradients.
    bucket.flat.div_(context_.world_size());
    bucket.reduction = context_.all_reduce_sum_async(bucket.flat);
  }

  Context& context_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<torch::Tensor, unsigned>> hooks_;
  size_t next_launch_ = 0;
  std::mutex mutex_;
};

DataParallel::DataParallel(torch::nn::Module& module, Context& context,
                           const DataParallelOptions& options) {
  TORCH_CHECK(options.bucket_mb() > 0, "bucket_mb must be positive");
  if (!context.is_distributed()) return;
  if (options.broadcast_module()) broadcast_module(module, context);
  impl_ = std::make_unique<Impl>(module, context, options);
}

DataParallel::DataParallel(DataParallel&&) noexcept = default;
DataParallel& DataParallel::operator=(DataParallel&&) noexcept = default;
DataParallel::~DataParallel() = default;

void DataParallel::synchronize() {
  if (impl_) impl_->synchronize();
}

size_t DataParallel::num_buckets() const { return impl_ ? impl_->num_buckets() : 0; }

}  // namespace qyolo::distributed
