#include "qyolo/nn/conv2d.h"

#include <cmath>

namespace qyolo::nn {

Conv2dImpl::Conv2dImpl(const Conv2dOptions& options) : options_(options) {
  TORCH_CHECK(options.in_channels() > 0 && options.out_channels() > 0 && options.kernel_size() > 0,
              "Conv2d needs positive channels and kernel size");
  TORCH_CHECK(options.groups() > 0 && options.in_channels() % options.groups() == 0 &&
                  options.out_channels() % options.groups() == 0,
              "Conv2d channels must be divisible by groups");
  const auto k = options.kernel_size();
  weight = register_parameter(
      "weight",
      torch::empty({options.out_channels(), options.in_channels() / options.groups(), k, k}));
  if (options.bias()) {
    bias = register_parameter("bias", torch::empty({options.out_channels()}));
  }
  reset_parameters();
}

void Conv2dImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fan_in = weight.size(1) * weight.size(2) * weight.size(3);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

torch::Tensor Conv2dImpl::convolve(const torch::Tensor& x, const torch::Tensor& w) const {
  const auto& o = options_;
  return torch::conv2d(x, w, bias, {o.stride(), o.stride()}, {o.padding(), o.padding()},
                       {o.dilation(), o.dilation()}, o.groups());
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  if (!hook_) return convolve(x, weight);
  return hook_->output(convolve(hook_->input(x), hook_->weight(weight)));
}

void Conv2dImpl::set_hook(std::shared_ptr<ConvHookImpl> hook) {
  if (hook_) unregister_module("quant");
  hook_ = std::move(hook);
  if (hook_) register_module("quant", hook_);
}

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  const auto& o = options_;
  stream << "qyolo::nn::Conv2d(" << o.in_channels() << ", " << o.out_channels()
         << ", kernel_size=" << o.kernel_size() << ", stride=" << o.stride();
  if (o.padding() != 0) stream << ", padding=" << o.padding();
  if (o.dilation() != 1) stream << ", dilation=" << o.dilation();
  if (o.groups() != 1) stream << ", groups=" << o.groups();
  if (!o.bias()) stream << ", bias=false";
  if (hook_) stream << ", quantized";
  stream << ")";
}

}  // namespace qyolo::nn
