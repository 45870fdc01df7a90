// The seam through which quantization changes a convolution without renaming its parameters.
#pragma once

#include <torch/torch.h>

namespace qyolo::nn {

// Installed on an nn::Conv2d by quant::apply. The conv computes
//   output(conv2d(input(x), weight(W), bias))
// so the hook can fake-quantize the input activation and the weight, and add a per-channel
// affine after the conv (quantization correction). Parameters the hook registers appear under
// "<conv path>.quant.*" and leave the conv's own "weight"/"bias" names untouched.
class ConvHookImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor input(const torch::Tensor& x) = 0;
  virtual torch::Tensor weight(const torch::Tensor& w) = 0;
  virtual torch::Tensor output(const torch::Tensor& y) { return y; }
};

}  // namespace qyolo::nn
