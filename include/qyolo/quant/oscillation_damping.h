// Model-wide oscillation bookkeeping for training: tracking after each optimizer step, the
// per-layer report, the dampening loss and iterative freezing ("OscDamp").
#pragma once

#include <string>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"

namespace qyolo::quant {

struct LayerOscillation {
  std::string path;
  int layer = 0;
  double oscillating_fraction = 0;  // weights with flip frequency above the threshold
  int64_t frozen = 0;
  int64_t weights = 0;
};

// Records the integer weights of every tracked conv (call after each optimizer step).
void track_oscillations(const std::vector<nn::ConvSite>& sites);

std::vector<LayerOscillation> oscillation_report(const std::vector<nn::ConvSite>& sites,
                                                 double threshold);

// Σ over integer-quantized convs of ‖w − q(w)‖² (unscaled; multiply by dampening_lambda).
torch::Tensor dampening_loss(const std::vector<nn::ConvSite>& sites);

// Freezes weights whose flip frequency exceeds `threshold`; returns the total frozen count.
int64_t freeze_oscillating(const std::vector<nn::ConvSite>& sites, double threshold);

}  // namespace qyolo::quant
