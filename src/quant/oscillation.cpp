#include "qyolo/quant/oscillation.h"

#include <cmath>

#include "qyolo/core/error.h"
#include "qyolo/quant/fake_quantize.h"
#include "qyolo/quant/lsq_quantizer.h"

namespace qyolo::quant {

OscillationTrackerImpl::OscillationTrackerImpl(torch::IntArrayRef weight_shape, double momentum)
    : momentum_(momentum) {
  previous_integer = register_buffer("previous_integer", torch::zeros(weight_shape));
  previous_direction = register_buffer("previous_direction", torch::zeros(weight_shape));
  frequency = register_buffer("frequency", torch::zeros(weight_shape));
  integer_ema = register_buffer("integer_ema", torch::zeros(weight_shape));
  frozen = register_buffer("frozen", torch::zeros(weight_shape, torch::kBool));
  frozen_integer = register_buffer("frozen_integer", torch::zeros(weight_shape));
  updates = register_buffer("updates", torch::zeros({}, torch::kLong));
}

void OscillationTrackerImpl::update(const torch::Tensor& integers) {
  torch::NoGradGuard no_grad;
  const auto current = integers.detach().to(previous_integer.dtype());
  if (updates.item<int64_t>() == 0) {
    previous_integer.copy_(current);
    integer_ema.copy_(current);
  } else {
    const auto direction = torch::sign(current - previous_integer);
    const auto flip = torch::logical_and(direction != 0, direction == -previous_direction);
    frequency.mul_(1.0 - momentum_).add_(flip.to(frequency.dtype()), momentum_);
    previous_direction.copy_(torch::where(direction != 0, direction, previous_direction));
    previous_integer.copy_(current);
    integer_ema.mul_(1.0 - momentum_).add_(current, momentum_);
  }
  updates.add_(1);
}

double OscillationTrackerImpl::oscillating_fraction(double threshold) const {
  return (frequency > threshold).to(torch::kDouble).mean().item<double>();
}

int64_t OscillationTrackerImpl::freeze_above(double threshold) {
  torch::NoGradGuard no_grad;
  const auto newly = torch::logical_and(frequency > threshold, frozen.logical_not());
  frozen_integer.copy_(torch::where(newly, torch::round(integer_ema), frozen_integer));
  frozen.logical_or_(newly);
  return frozen.sum().item<int64_t>();
}

double dampening_lambda(const config::DampenConfig& dampen, double progress) {
  const double p = std::clamp(progress, 0.0, 1.0);
  if (dampen.schedule == "constant") return dampen.lambda_end;
  if (dampen.schedule == "linear") {
    return dampen.lambda_start + (dampen.lambda_end - dampen.lambda_start) * p;
  }
  if (dampen.schedule == "cosine") {
    return dampen.lambda_end +
           (dampen.lambda_start - dampen.lambda_end) * 0.5 * (1.0 + std::cos(M_PI * p));
  }
  throw UsageError("quant.dampen.schedule: unknown schedule '" + dampen.schedule +
                   "'; allowed: constant, linear, cosine");
}

torch::Tensor dampening_loss(const torch::Tensor& weight, const LsqQuantizerImpl& quantizer) {
  const auto range = quantizer.range();
  const auto step = broadcast_like(quantizer.step, weight).detach();
  const auto offset = quantizer.offset.defined() ? broadcast_like(quantizer.offset, weight).detach()
                                                 : torch::zeros_like(step);
  const auto grid = quantizer.integers(weight) * step + offset;
  const auto lo = step * static_cast<double>(range.qmin) + offset;
  const auto hi = step * static_cast<double>(range.qmax) + offset;
  const auto clipped = torch::min(torch::max(weight, lo), hi);
  return (grid - clipped).pow(2).sum();
}

}  // namespace qyolo::quant
