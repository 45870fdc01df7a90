// ultralytics Focus: space-to-depth (2x2 pixel phases into channels), then a Conv.
#pragma once

#include <torch/torch.h>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

class FocusImpl : public torch::nn::Module {
 public:
  // `options.in_channels()` is the image's channel count; the conv sees four times as many.
  explicit FocusImpl(ConvOptions options);
  torch::Tensor forward(const torch::Tensor& x);
  Conv conv{nullptr};
};
TORCH_MODULE(Focus);

}  // namespace qyolo::nn
