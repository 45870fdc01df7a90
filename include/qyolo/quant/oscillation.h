// Weight oscillation statistics, dampening and freezing (Nagel et al. 2022, "Overcoming
// Oscillations in Quantization-Aware Training").
#pragma once

#include <torch/torch.h>

#include "qyolo/core/config.h"

namespace qyolo::quant {

class LsqQuantizerImpl;

// Per weight of one quantized tensor: its integer at the last update, the direction of its last
// integer change, the EMA of flips (a change opposite to the previous change) and the EMA of the
// integer itself. All state is buffers, so it is checkpointed with the model.
class OscillationTrackerImpl : public torch::nn::Module {
 public:
  explicit OscillationTrackerImpl(torch::IntArrayRef weight_shape, double momentum = 0.01);

  // Records the integers of this step (call once per optimizer step).
  void update(const torch::Tensor& integers);

  // Fraction of weights whose flip frequency exceeds `threshold`.
  double oscillating_fraction(double threshold) const;

  // Freezes the weights whose flip frequency exceeds `threshold` at their most frequent integer
  // (the rounded EMA of their integer values). Frozen weights stay frozen. Returns how many
  // weights are frozen in total.
  int64_t freeze_above(double threshold);
  bool any_frozen() const { return frozen.any().item<bool>(); }

  double momentum() const { return momentum_; }

  torch::Tensor previous_integer;
  torch::Tensor previous_direction;  // −1, 0 (no change yet), +1
  torch::Tensor frequency;
  torch::Tensor integer_ema;
  torch::Tensor frozen;          // bool
  torch::Tensor frozen_integer;  // valid where frozen
  torch::Tensor updates;         // number of updates (scalar)

 private:
  double momentum_;
};

TORCH_MODULE(OscillationTracker);

// λ at `progress` ∈ [0, 1] of training: constant (lambda_end), linear or cosine from lambda_start
// to lambda_end.
double dampening_lambda(const config::DampenConfig& dampen, double progress);

// Σ ‖s·round(clamp(w/s)) − clamp(w, s·qmin, s·qmax)‖² with the grid point and step held fixed:
// pulls each latent weight towards the grid point it is quantized to.
torch::Tensor dampening_loss(const torch::Tensor& weight, const LsqQuantizerImpl& quantizer);

}  // namespace qyolo::quant
