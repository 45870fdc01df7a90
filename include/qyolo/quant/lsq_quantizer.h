// LSQ (learnable step) and LSQ+ (learnable step and offset) fake quantizers.
#pragma once

#include <torch/torch.h>

#include "qyolo/quant/quantizer.h"

namespace qyolo::quant {

enum class TensorRole { kWeight, kActivation };

struct LsqQuantizerOptions {
  LsqQuantizerOptions(int bits, TensorRole role) : bits_(bits), role_(role) {}
  TORCH_ARG(int, bits);
  TORCH_ARG(TensorRole, role);
  TORCH_ARG(bool, is_signed) = true;
  // 1 = one step for the tensor; C = one step per slice along dim 0 (output channels of a weight).
  TORCH_ARG(int64_t, channels) = 1;
  // LSQ+: a learnable offset β, out = s·clamp(round((x − β)/s)) + β.
  TORCH_ARG(bool, learn_offset) = false;
  // false: step and offset keep the values set_grid gives them and get no gradient.
  TORCH_ARG(bool, learn_step) = true;
};

// Parameters "step" (and "offset" for LSQ+), shaped (channels). Weights initialise their step from
// the first tensor they see, 2·mean|w|/sqrt(Qp) (per channel when per-channel); activations from
// calibration batches (min/max or an MSE search) or, if never calibrated, from their first batch.
// While training, a learned step is projected back to at least 1e-8 before every use: Adam moves
// a step by about its learning rate per update, more than an 8-bit weight step (about 1e-4) is
// wide, so without the projection an update could take it through zero and the forward would
// divide by it. Evaluation leaves steps as they are: folding a negative QC γ makes a negative step
// on purpose (the same integers, the sign moved into the step).
class LsqQuantizerImpl : public QuantizerImpl {
 public:
  explicit LsqQuantizerImpl(const LsqQuantizerOptions& options);

  torch::Tensor forward(const torch::Tensor& x) override;
  QuantSpec spec() const override;

  // The integer each element of `x` is mapped to.
  torch::Tensor integers(const torch::Tensor& x) const;
  // LSQ gradient scale 1/sqrt(N·Qp), N = elements per step (per sample for activations).
  double grad_scale(const torch::Tensor& x) const;

  IntRange range() const { return range_; }
  const LsqQuantizerOptions& options() const { return options_; }

  // Sets the weight step rule 2·mean|w|/sqrt(Qp) from `w` (per channel when per-channel).
  void init_from_weight(const torch::Tensor& w);

  // Sets step (and offset, for LSQ+) to the given values and marks the quantizer initialised.
  void set_grid(const torch::Tensor& new_step, const torch::Tensor& new_offset = {});

  // While training, clamps a learned step to its lower bound (in place; forward does it first).
  void keep_step_positive();

  torch::Tensor step;
  torch::Tensor offset;  // undefined for LSQ

 protected:
  void init_from(const ActivationObserver& observer, ActInit method) override;

 private:
  LsqQuantizerOptions options_;
  IntRange range_;
};

TORCH_MODULE(LsqQuantizer);

}  // namespace qyolo::quant
