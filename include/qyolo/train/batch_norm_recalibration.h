// Re-estimation of BN running statistics for a quantized model (Nagel et al., ICML 2022).
// Binary and low-bit weights that oscillate across their rounding thresholds change the conv
// outputs from step to step faster than BN's running averages follow, so an eval-mode model can
// score far below what its training loss says; fresh statistics from the quantized model fix it.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "qyolo/data/loader.h"
#include "qyolo/nn/model.h"

namespace qyolo::train {

// Replaces every BatchNorm2d's running mean and variance by their plain average over up to
// max_batches batches of normalized images from next_images (an undefined tensor ends the
// data early). Nothing else changes: weights, quantizers and each module's train/eval mode and
// BN momentum are as before. Returns the number of batches used.
int recalibrate_batch_norms(nn::ModelImpl& model, int max_batches,
                            const std::function<torch::Tensor()>& next_images);

// The same over the first max_batches batches of loader's epoch 0, with a progress bar.
int recalibrate_batch_norms(nn::ModelImpl& model, data::Loader& loader, int max_batches,
                            const torch::Device& device);

}  // namespace qyolo::train
