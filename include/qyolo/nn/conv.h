// The Conv block (conv + BatchNorm + activation) and Focus.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "qyolo/nn/activation.h"
#include "qyolo/nn/conv2d.h"

namespace qyolo::nn {

// BatchNorm2d with the detector's settings (eps 1e-3, momentum 0.03), as initialize_weights sets.
torch::nn::BatchNorm2d make_batch_norm(int64_t channels);

// 'same' padding of the reference autopad: k/2 unless given.
int64_t autopad(int64_t kernel, std::optional<int64_t> padding, int64_t dilation = 1);

struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size = 1,
              int64_t stride = 1)
      : in_channels_(in_channels),
        out_channels_(out_channels),
        kernel_size_(kernel_size),
        stride_(stride) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride);
  TORCH_ARG(std::optional<int64_t>, padding) = std::nullopt;  // nullopt = autopad
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(int64_t, dilation) = 1;
};

// "conv" (nn::Conv2d, no bias) -> "bn" -> "act". `act` may be shared between blocks, as
// ultralytics shares Conv.default_act.
class ConvImpl : public torch::nn::Module {
 public:
  ConvImpl(const ConvOptions& options, Activation act);
  torch::Tensor forward(const torch::Tensor& x) {
    return act->forward(bn->forward(conv->forward(x)));
  }

  Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  Activation act{nullptr};
};
TORCH_MODULE(Conv);

// Space-to-depth (2x2 pixels to channels), then a Conv "conv".
class FocusImpl : public torch::nn::Module {
 public:
  FocusImpl(const ConvOptions& options, Activation act);
  torch::Tensor forward(const torch::Tensor& x);

  Conv conv{nullptr};
};
TORCH_MODULE(Focus);

}  // namespace qyolo::nn
