// ultralytics/yolov7 Conv: convolution, BatchNorm and activation.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "qyolo/nn/activation.h"
#include "qyolo/nn/conv2d.h"

namespace qyolo::nn {

// Same-size padding for an odd kernel (ultralytics autopad); `padding` < 0 means automatic.
int64_t autopad(int64_t kernel_size, int64_t padding = -1, int64_t dilation = 1);

// A BatchNorm2d with the eps/momentum every YOLO model uses (initialize_weights: 1e-3, 0.03).
torch::nn::BatchNorm2d make_batch_norm(int64_t channels);

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
  TORCH_ARG(int64_t, padding) = -1;  // -1: autopad
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(int64_t, dilation) = 1;
  // Empty: SiLU. Blocks pass the model's activation so that it can be shared like upstream.
  TORCH_ARG(Activation, act);
};

// Submodules "conv" (bias-free nn::Conv2d), "bn" and "act" (reference names).
class ConvImpl : public torch::nn::Module {
 public:
  explicit ConvImpl(const ConvOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  Activation act;
  // Computes bn in training mode instead of bn itself when set (data-parallel runs put a
  // SyncBatchNorm2d that shares bn's tensors here); eval mode always uses bn, and the state
  // dict does not change.
  std::function<torch::Tensor(const torch::Tensor&)> training_norm;
};
TORCH_MODULE(Conv);

}  // namespace qyolo::nn
