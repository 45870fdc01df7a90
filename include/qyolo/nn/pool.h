// yolov7 max-pool layers MP (down-sampling) and SP (same size).
#pragma once

#include <torch/torch.h>

namespace qyolo::nn {

// Max-pool with kernel = stride = k: halves the resolution for k=2. Submodule "m".
class MPImpl : public torch::nn::Module {
 public:
  explicit MPImpl(int64_t kernel_size = 2);
  torch::Tensor forward(const torch::Tensor& x) { return m->forward(x); }
  torch::nn::MaxPool2d m{nullptr};
};
TORCH_MODULE(MP);

// Max-pool with padding k/2 (same size for stride 1). Submodule "m".
class SPImpl : public torch::nn::Module {
 public:
  explicit SPImpl(int64_t kernel_size = 3, int64_t stride = 1);
  torch::Tensor forward(const torch::Tensor& x) { return m->forward(x); }
  torch::nn::MaxPool2d m{nullptr};
};
TORCH_MODULE(SP);

}  // namespace qyolo::nn
