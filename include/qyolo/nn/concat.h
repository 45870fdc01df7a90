// Concatenation of several layer outputs along one dimension (channels by default).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace qyolo::nn {

class ConcatImpl : public torch::nn::Module {
 public:
  explicit ConcatImpl(int64_t dimension = 1) : dimension_(dimension) {}
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs) {
    return torch::cat(inputs, dimension_);
  }
  int64_t dimension() const { return dimension_; }

 private:
  int64_t dimension_;
};
TORCH_MODULE(Concat);

}  // namespace qyolo::nn
