// yolov7 RepConv in its training form: 3x3 conv+BN, 1x1 conv+BN and (when shapes allow) an
// identity BN, summed before the activation.
#pragma once

#include <torch/torch.h>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

// Submodules "rbr_dense" = (0: 3x3 Conv2d, 1: BN), "rbr_1x1" = (0: 1x1 Conv2d, 1: BN),
// "rbr_identity" (BN, only when in == out channels and stride 1) and "act".
// options: kernel_size must be 3 and padding automatic (or 1), as upstream asserts.
class RepConvImpl : public torch::nn::Module {
 public:
  explicit RepConvImpl(const ConvOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Sequential rbr_dense{nullptr}, rbr_1x1{nullptr};
  torch::nn::BatchNorm2d rbr_identity{nullptr};
  Activation act;
};
TORCH_MODULE(RepConv);

}  // namespace qyolo::nn
