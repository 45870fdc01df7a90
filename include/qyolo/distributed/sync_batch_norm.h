// Batch normalisation whose training statistics are computed over the whole global batch.
#pragma once

#include <torch/torch.h>

#include "qyolo/distributed/context.h"

namespace qyolo::distributed {

// Drop-in for torch::nn::BatchNorm2d with the same parameters and buffers ("weight", "bias",
// "running_mean", "running_var", "num_batches_tracked"), so state dicts and checkpoints are
// interchangeable. In training mode with more than one rank, the per-channel sum, sum of squares
// and element count of the input are summed over ranks (one all-reduce per layer) and backward
// sums the statistics' gradients over ranks too, so that forward and gradients equal those of
// BatchNorm2d over the concatenated batch. Otherwise it computes exactly what BatchNorm2d does.
//
// Every rank must run the same sequence of SyncBatchNorm2d forwards and backwards.
// `context` must outlive the module.
class SyncBatchNorm2dImpl : public torch::nn::Module {
 public:
  SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& options, Context& context);
  // Shares `source`'s parameter and buffer tensors (optimizers holding them stay valid).
  SyncBatchNorm2dImpl(const torch::nn::BatchNorm2d& source, Context& context);

  torch::Tensor forward(const torch::Tensor& input);

  void pretty_print(std::ostream& stream) const override;

  const torch::nn::BatchNormOptions& options() const { return options_; }

  torch::Tensor weight;
  torch::Tensor bias;
  torch::Tensor running_mean;
  torch::Tensor running_var;
  torch::Tensor num_batches_tracked;

 private:
  torch::Tensor synchronized_forward(const torch::Tensor& input, double momentum);

  torch::nn::BatchNormOptions options_;
  Context* context_;
};

TORCH_MODULE(SyncBatchNorm2d);

}  // namespace qyolo::distributed
