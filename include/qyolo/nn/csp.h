// ultralytics Bottleneck and C3 (CSP bottleneck with three convolutions).
#pragma once

#include <torch/torch.h>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

struct BottleneckOptions {
  BottleneckOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(bool, shortcut) = true;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(double, expansion) = 0.5;
  TORCH_ARG(Activation, act);  // shared by the inner Convs; empty: SiLU
};

// cv1 (1x1) -> cv2 (3x3), plus the input when shortcut and the channel counts agree.
class BottleneckImpl : public torch::nn::Module {
 public:
  explicit BottleneckImpl(const BottleneckOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr};
  bool add = false;
};
TORCH_MODULE(Bottleneck);

struct C3Options {
  C3Options(int64_t in_channels, int64_t out_channels, int64_t repeats = 1)
      : in_channels_(in_channels), out_channels_(out_channels), repeats_(repeats) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, repeats);
  TORCH_ARG(bool, shortcut) = true;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(double, expansion) = 0.5;
  TORCH_ARG(Activation, act);
};

// cv3(cat(m(cv1(x)), cv2(x))) with m = `repeats` Bottlenecks (expansion 1.0).
class C3Impl : public torch::nn::Module {
 public:
  explicit C3Impl(const C3Options& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr}, cv3{nullptr};
  torch::nn::Sequential m{nullptr};
};
TORCH_MODULE(C3);

}  // namespace qyolo::nn
