// The activation of a Conv block, as a module so the layer structure matches the reference.
#pragma once

#include <torch/torch.h>

#include <string>

namespace qyolo::nn {

enum class ActivationKind { kIdentity, kSiLU, kReLU, kLeakyReLU, kHardswish, kSigmoid };

struct ActivationOptions {
  ActivationOptions(ActivationKind kind = ActivationKind::kSiLU) : kind_(kind) {}
  TORCH_ARG(ActivationKind, kind);
  TORCH_ARG(double, negative_slope) = 0.01;  // LeakyReLU only
};

class ActivationImpl : public torch::nn::Module {
 public:
  explicit ActivationImpl(const ActivationOptions& options = {}) : options_(options) {}
  torch::Tensor forward(const torch::Tensor& x);
  const ActivationOptions& options() const { return options_; }
  // The yaml spelling, e.g. "nn.LeakyReLU(0.1)".
  std::string spec() const;
  void pretty_print(std::ostream& stream) const override { stream << spec(); }

 private:
  ActivationOptions options_;
};
TORCH_MODULE(Activation);

// Parses "nn.SiLU()", "nn.LeakyReLU(0.1)", "nn.ReLU()", "nn.Hardswish()", "nn.Sigmoid()",
// "nn.Identity()" (the "nn." prefix and "()" are optional). Returns false if not recognised.
bool parse_activation(const std::string& text, ActivationOptions* out);

}  // namespace qyolo::nn
