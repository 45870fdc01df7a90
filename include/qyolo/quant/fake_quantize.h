// Learnable fake quantization out = s·clamp(round((x − β)/s), qmin, qmax) + β with LSQ/LSQ+
// gradients, as one fused kernel for float tensors on the CPU.
#pragma once

#include <torch/torch.h>

namespace qyolo::quant {

// `step` (and `offset`, which may be undefined for LSQ) hold one value for the whole tensor, or
// one per slice along dim 0 (per-output-channel weights). Rounding is half to even.
// Gradients (straight-through estimator, Esser et al. 2020 and Bhalgat et al. 2020), with
// v = (x − β)/s and "inside" meaning qmin ≤ v ≤ qmax:
//   dx = g inside, 0 outside;
//   ds = grad_scale · Σ g·(round(v) − v) inside, g·qmin below, g·qmax above;
//   dβ = grad_scale · Σ g outside, 0 inside.
// ATen's _fake_quantize_learnable_* ops give the same values and gradients except for v within
// half a step beyond the clip edges, which they count as inside (they test round(v)).
// On the fused path the forward saves 2 bytes per element instead of x: the rounding residual
// round(v) − v in 16-bit fixed point (absolute error at most 2^-17, which only ds sees), or whether
// v fell below or above the grid. The backward is then one pass with no division. Other devices
// and dtypes save x and use tensor ops.
torch::Tensor fake_quantize(const torch::Tensor& x, const torch::Tensor& step,
                            const torch::Tensor& offset, int64_t qmin, int64_t qmax,
                            double grad_scale);

// The integers round(clamp((x − β)/s)) that `fake_quantize` maps x to (no gradient).
torch::Tensor quantize_to_integers(const torch::Tensor& x, const torch::Tensor& step,
                                   const torch::Tensor& offset, int64_t qmin, int64_t qmax);

// `step` (a per-tensor or per-dim-0 parameter) shaped to broadcast against `x`.
torch::Tensor broadcast_like(const torch::Tensor& per_channel, const torch::Tensor& x);

}  // namespace qyolo::quant
