#include "qyolo/nn/conv.h"

namespace qyolo::nn {

int64_t autopad(int64_t kernel_size, int64_t padding, int64_t dilation) {
  if (padding >= 0) return padding;
  const int64_t effective = dilation > 1 ? dilation * (kernel_size - 1) + 1 : kernel_size;
  return effective / 2;
}

torch::nn::BatchNorm2d make_batch_norm(int64_t channels) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels).eps(1e-3).momentum(0.03));
}

ConvImpl::ConvImpl(const ConvOptions& o) {
  conv = register_module("conv",
                         Conv2d(Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                                    .stride(o.stride())
                                    .padding(autopad(o.kernel_size(), o.padding(), o.dilation()))
                                    .dilation(o.dilation())
                                    .groups(o.groups())));
  bn = register_module("bn", make_batch_norm(o.out_channels()));
  act = o.act().is_empty() ? make_silu() : o.act();
  register_module("act", act.ptr());
}

torch::Tensor ConvImpl::forward(const torch::Tensor& x) {
  const auto y = conv->forward(x);
  return act.forward(training_norm && is_training() ? training_norm(y) : bn->forward(y));
}

}  // namespace qyolo::nn
