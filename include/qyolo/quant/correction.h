// Quantization correction (Gupta & Asthana, WACV 2024): a per-output-channel affine γ·y + β after
// every quantized conv, trained alone, then folded away.
#pragma once

#include <vector>

#include "qyolo/nn/model.h"

namespace qyolo::quant {

// Adds γ = 1, β = 0 to every ConvQuantizer of `sites`.
void enable_correction(const std::vector<nn::ConvSite>& sites);

// Just the γ and β tensors, for an optimizer that trains nothing else.
std::vector<torch::Tensor> correction_parameters(const std::vector<nn::ConvSite>& sites);

// Folds every affine into the model and removes it, exact in eval mode:
// - conv followed by BN: BN(γ·y + β) = BN' (y) with weight' = w·γ and
//   bias' = b + w·(β + (γ − 1)·μ)/sqrt(σ² + eps) (running statistics unchanged);
// - conv without BN (Detect outputs): bias' = γ·bias + β, and the quantized weight is scaled by γ
//   per output channel: binary scales α' = γ·α; LSQ weights become per-channel with step
//   s' = γ·s over latent weights γ·W (the integers are unchanged); fp weights W' = γ·W.
// A BN-less conv without bias cannot absorb β; that is reported as an error.
void fold_correction(const std::vector<nn::ConvSite>& sites);

}  // namespace qyolo::quant
