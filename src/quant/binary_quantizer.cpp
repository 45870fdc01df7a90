#include "qyolo/quant/binary_quantizer.h"

#include "qyolo/quant/binary_activation.h"

namespace qyolo::quant {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// sign(w)·α per output channel. The latent weight gets the straight-through gradient where
// |w| ≤ α (identity through the quantizer, like LSQ inside its range); dα = Σ g·sign(w).
struct ScaledSignFunction : public torch::autograd::Function<ScaledSignFunction> {
  static Tensor forward(AutogradContext* ctx, Tensor w, Tensor alpha) {
    const auto sign = binary_sign(w);
    ctx->save_for_backward({w, alpha, sign});
    return sign * alpha;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& grad = grad_outputs[0];
    const auto inside = (saved[0].abs() <= saved[1].abs()).to(grad.scalar_type());
    const auto grad_alpha = (grad * saved[2]).flatten(1).sum(1).reshape(saved[1].sizes());
    return {grad * inside, grad_alpha};
  }
};

struct ApproxSignFunction : public torch::autograd::Function<ApproxSignFunction> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return binary_sign(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * torch::clamp_min(2.0 - 2.0 * x.abs(), 0.0)};
  }
};

}  // namespace

torch::Tensor binary_sign(const torch::Tensor& x) {
  return torch::where(x >= 0, torch::ones_like(x), -torch::ones_like(x));
}

torch::Tensor approx_sign(const torch::Tensor& x) { return ApproxSignFunction::apply(x); }

BinaryWeightQuantizerImpl::BinaryWeightQuantizerImpl(int64_t out_channels) {
  scale = register_parameter("scale", torch::ones({out_channels}));
}

QuantSpec BinaryWeightQuantizerImpl::spec() const {
  return {1, true, Granularity::kPerChannel, QuantKind::kBinary};
}

torch::Tensor BinaryWeightQuantizerImpl::forward(const torch::Tensor& w) {
  TORCH_CHECK(w.size(0) == scale.size(0), "binary weight quantizer has ", scale.size(0),
              " channels, weight has ", w.size(0));
  std::vector<int64_t> shape(w.dim(), 1);
  shape[0] = scale.size(0);
  const auto alpha = scale.reshape(shape);
  if (!initialized()) {
    torch::NoGradGuard no_grad;
    scale.copy_(w.detach().abs().flatten(1).mean(1));
    mark_initialized();
  }
  return ScaledSignFunction::apply(w, alpha);
}

void BinaryWeightQuantizerImpl::init_from(const ActivationObserver&, ActInit) {
  TORCH_CHECK(false, "binary weight quantizers initialise from their weight, not from data");
}

BinaryActivationQuantizerImpl::BinaryActivationQuantizerImpl(int64_t channels) {
  shift = register_parameter("shift", torch::zeros({channels}));
  scale = register_parameter("scale", torch::ones({1}));
}

QuantSpec BinaryActivationQuantizerImpl::spec() const {
  return {1, true, Granularity::kPerTensor, QuantKind::kBinary};
}

torch::Tensor BinaryActivationQuantizerImpl::forward(const torch::Tensor& x) {
  if (observe_or_init(x, ActInit::kMinMax)) return x;
  TORCH_CHECK(x.dim() == 4 && x.size(1) == shift.size(0), "binary activation quantizer has ",
              shift.size(0), " channels, input is shaped ", x.sizes());
  return binary_activation(x, shift, scale);
}

void BinaryActivationQuantizerImpl::init_from(const ActivationObserver& observer, ActInit) {
  torch::NoGradGuard no_grad;
  scale.fill_(std::max(observer.samples().abs().mean().item<double>(), 1e-8));
}

}  // namespace qyolo::quant
