// The convolution every qyolo model is built from: torch's conv2d plus an optional ConvHook.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "qyolo/nn/conv_hook.h"

namespace qyolo::nn {

struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(int64_t, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = false;
};

// A square-kernel 2-D convolution with parameters "weight" (out, in/groups, k, k) and, when
// enabled, "bias" (out). Quantization installs a ConvHook instead of replacing the module, so
// parameter names stay the reference names whatever the precision.
class Conv2dImpl : public torch::nn::Module {
 public:
  explicit Conv2dImpl(const Conv2dOptions& options);

  torch::Tensor forward(const torch::Tensor& x);

  // Installs `hook` as submodule "quant"; nullptr removes the current hook.
  void set_hook(std::shared_ptr<ConvHookImpl> hook);
  const std::shared_ptr<ConvHookImpl>& hook() const { return hook_; }

  const Conv2dOptions& options() const { return options_; }

  // The plain convolution of `x` with the given weight and this conv's geometry and bias.
  torch::Tensor convolve(const torch::Tensor& x, const torch::Tensor& weight) const;

  // Initialises like torch.nn.Conv2d.reset_parameters (kaiming_uniform a=sqrt(5)).
  void reset_parameters();

  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight;
  torch::Tensor bias;  // undefined when options().bias() is false

 private:
  Conv2dOptions options_;
  std::shared_ptr<ConvHookImpl> hook_;
};

TORCH_MODULE(Conv2d);

}  // namespace qyolo::nn
