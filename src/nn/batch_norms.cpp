#include "qyolo/nn/batch_norms.h"

namespace qyolo::nn {

std::vector<torch::nn::BatchNorm2dImpl*> batch_norms(torch::nn::Module& module) {
  std::vector<torch::nn::BatchNorm2dImpl*> norms;
  for (const auto& child : module.modules(/*include_self=*/false)) {
    if (auto* bn = child->as<torch::nn::BatchNorm2dImpl>()) norms.push_back(bn);
  }
  return norms;
}

}  // namespace qyolo::nn
