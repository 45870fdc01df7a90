// Spatial pyramid pooling blocks: ultralytics SPP and SPPF, yolov7 SPPCSPC.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

struct SPPOptions {
  SPPOptions(int64_t in_channels, int64_t out_channels,
             std::vector<int64_t> kernel_sizes = {5, 9, 13})
      : in_channels_(in_channels),
        out_channels_(out_channels),
        kernel_sizes_(std::move(kernel_sizes)) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(std::vector<int64_t>, kernel_sizes);
  TORCH_ARG(Activation, act);
};

// Max-pools of stride 1 and same padding, one per kernel size ("m.<i>").
torch::nn::ModuleList make_same_max_pools(const std::vector<int64_t>& kernel_sizes);

// cv2(cat(x, pool_k1(x), pool_k2(x), ...)) with x = cv1(input), hidden channels in/2.
class SPPImpl : public torch::nn::Module {
 public:
  explicit SPPImpl(const SPPOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr};
  torch::nn::ModuleList m{nullptr};
};
TORCH_MODULE(SPP);

struct SPPFOptions {
  SPPFOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size = 5)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(Activation, act);
};

// SPP with one pool applied three times in a row (equal to SPP(k, 2k-1, 3k-2), faster).
class SPPFImpl : public torch::nn::Module {
 public:
  explicit SPPFImpl(const SPPFOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr};
  torch::nn::MaxPool2d m{nullptr};
};
TORCH_MODULE(SPPF);

struct SPPCSPCOptions {
  SPPCSPCOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(double, expansion) = 0.5;
  TORCH_ARG(std::vector<int64_t>, kernel_sizes) = std::vector<int64_t>{5, 9, 13};
  TORCH_ARG(Activation, act);
};

// yolov7 CSP-SPP: cv7(cat(cv6(cv5(cat(x1, pools(x1)))), cv2(x))) with x1 = cv4(cv3(cv1(x))).
class SPPCSPCImpl : public torch::nn::Module {
 public:
  explicit SPPCSPCImpl(const SPPCSPCOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr}, cv3{nullptr}, cv4{nullptr}, cv5{nullptr}, cv6{nullptr},
      cv7{nullptr};
  torch::nn::ModuleList m{nullptr};
};
TORCH_MODULE(SPPCSPC);

}  // namespace qyolo::nn
