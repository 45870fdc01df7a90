// yolov7's implicit knowledge terms (YOLOR): a learned per-channel shift or scale.
#pragma once

#include <torch/torch.h>

namespace qyolo::nn {

// x + implicit, parameter "implicit" (1,C,1,1) initialised N(0, 0.02).
class ImplicitAImpl : public torch::nn::Module {
 public:
  explicit ImplicitAImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x) { return implicit + x; }
  torch::Tensor implicit;
};
TORCH_MODULE(ImplicitA);

// implicit * x, parameter "implicit" (1,C,1,1) initialised N(1, 0.02).
class ImplicitMImpl : public torch::nn::Module {
 public:
  explicit ImplicitMImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x) { return implicit * x; }
  torch::Tensor implicit;
};
TORCH_MODULE(ImplicitM);

}  // namespace qyolo::nn
