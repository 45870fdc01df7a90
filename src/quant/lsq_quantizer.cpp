#include "qyolo/quant/lsq_quantizer.h"

#include <cmath>

#include "qyolo/quant/fake_quantize.h"

namespace qyolo::quant {
namespace {

// Smallest step allowed at initialisation, so an all-zero tensor still gets a usable grid.
constexpr double kMinStep = 1e-8;

struct StepOffset {
  double step;
  double offset;
};

// The grid [qmin·s + β, qmax·s + β] that spans [lo, hi] (β = 0 without an offset).
StepOffset grid_for_range(double lo, double hi, IntRange range, bool learn_offset) {
  if (learn_offset) {
    const double step =
        std::max((hi - lo) / static_cast<double>(range.qmax - range.qmin), kMinStep);
    return {step, lo - static_cast<double>(range.qmin) * step};
  }
  double step = hi / static_cast<double>(range.qmax);
  if (range.qmin < 0) step = std::max(step, lo / static_cast<double>(range.qmin));
  return {std::max(step, kMinStep), 0.0};
}

double quantization_mse(const torch::Tensor& values, StepOffset grid, IntRange range) {
  const auto q =
      torch::round(torch::clamp((values - grid.offset) / grid.step, static_cast<double>(range.qmin),
                                static_cast<double>(range.qmax))) *
          grid.step +
      grid.offset;
  return (q - values).pow(2).mean().item<double>();
}

}  // namespace

LsqQuantizerImpl::LsqQuantizerImpl(const LsqQuantizerOptions& options)
    : options_(options), range_(int_range(options.bits(), options.is_signed())) {
  TORCH_CHECK(options.channels() >= 1, "LsqQuantizer needs at least one channel");
  TORCH_CHECK(options.channels() == 1 || options.role() == TensorRole::kWeight,
              "per-channel steps are for weights (dim 0)");
  step = register_parameter("step", torch::ones({options.channels()}));
  if (options.learn_offset()) {
    offset = register_parameter("offset", torch::zeros({options.channels()}));
  }
  if (!options.learn_step()) {
    step.set_requires_grad(false);
    if (offset.defined()) offset.set_requires_grad(false);
  }
}

QuantSpec LsqQuantizerImpl::spec() const {
  return {options_.bits(), options_.is_signed(),
          options_.channels() > 1 ? Granularity::kPerChannel : Granularity::kPerTensor,
          options_.learn_offset() ? QuantKind::kLsqPlus : QuantKind::kLsq, options_.learn_step()};
}

double LsqQuantizerImpl::grad_scale(const torch::Tensor& x) const {
  const int64_t per_step = options_.role() == TensorRole::kWeight
                               ? x.numel() / options_.channels()
                               : x.numel() / std::max<int64_t>(1, x.size(0));
  return 1.0 / std::sqrt(static_cast<double>(per_step) * static_cast<double>(range_.qmax));
}

torch::Tensor LsqQuantizerImpl::forward(const torch::Tensor& x) {
  if (options_.role() == TensorRole::kWeight) {
    if (!initialized()) init_from_weight(x);
  } else if (observe_or_init(x, ActInit::kMinMax)) {
    return x;
  }
  keep_step_positive();
  return fake_quantize(x, step, offset, range_.qmin, range_.qmax, grad_scale(x));
}

torch::Tensor LsqQuantizerImpl::integers(const torch::Tensor& x) const {
  return quantize_to_integers(x, step, offset, range_.qmin, range_.qmax);
}

void LsqQuantizerImpl::keep_step_positive() {
  if (!is_training() || !step.requires_grad()) return;
  torch::NoGradGuard no_grad;
  step.clamp_min_(kMinStep);
}

void LsqQuantizerImpl::init_from_weight(const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  const auto mean_abs = options_.channels() == 1 ? w.detach().abs().mean().reshape({1})
                                                 : w.detach().abs().flatten(1).mean(1);
  step.copy_((2.0 * mean_abs / std::sqrt(static_cast<double>(range_.qmax))).clamp_min(kMinStep));
  if (offset.defined()) offset.zero_();
  mark_initialized();
}

void LsqQuantizerImpl::set_grid(const torch::Tensor& new_step, const torch::Tensor& new_offset) {
  torch::NoGradGuard no_grad;
  step.copy_(new_step.reshape(step.sizes()));
  if (offset.defined()) {
    offset.copy_(new_offset.defined() ? new_offset.reshape(offset.sizes())
                                      : torch::zeros_like(offset));
  }
  mark_initialized();
}

void LsqQuantizerImpl::init_from(const ActivationObserver& observer, ActInit method) {
  StepOffset best = grid_for_range(observer.min(), observer.max(), range_, offset.defined());
  if (method == ActInit::kMse) {
    // Shrink the min/max range towards zero and keep the grid with the smallest error.
    const auto values = observer.samples().to(torch::kDouble);
    double best_error = quantization_mse(values, best, range_);
    for (int i = 1; i < 80; ++i) {
      const double ratio = 1.0 - 0.01 * i;
      const StepOffset candidate =
          grid_for_range(observer.min() * ratio, observer.max() * ratio, range_, offset.defined());
      const double error = quantization_mse(values, candidate, range_);
      if (error < best_error) {
        best_error = error;
        best = candidate;
      }
    }
  }
  torch::NoGradGuard no_grad;
  step.fill_(best.step);
  if (offset.defined()) offset.fill_(best.offset);
}

}  // namespace qyolo::quant
