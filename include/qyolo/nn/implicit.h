// yolov7 implicit knowledge: a learned per-channel offset (ImplicitA) or scale (ImplicitM).
#pragma once

#include <torch/torch.h>

namespace qyolo::nn {

// x + implicit, implicit (1,C,1,1) ~ N(0, 0.02).
class ImplicitAImpl : public torch::nn::Module {
 public:
  explicit ImplicitAImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x) { return implicit + x; }
  torch::Tensor implicit;
};
TORCH_MODULE(ImplicitA);

// x * implicit, implicit (1,C,1,1) ~ N(1, 0.02).
class ImplicitMImpl : public torch::nn::Module {
 public:
  explicit ImplicitMImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x) { return implicit * x; }
  torch::Tensor implicit;
};
TORCH_MODULE(ImplicitM);

}  // namespace qyolo::nn
