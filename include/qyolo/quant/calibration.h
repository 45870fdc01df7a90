// Initialising activation quantizers from calibration batches.
#pragma once

#include <functional>
#include <vector>

#include "qyolo/nn/model.h"
#include "qyolo/quant/quantizer.h"

namespace qyolo::quant {

// Runs up to `max_batches` forward passes (each call of `run_next_batch` feeds one batch through
// the model and returns false when there is no more data) while every activation quantizer that
// is not initialised yet observes its input, then sets their steps/offsets from what they saw
// (`method`). Already initialised quantizers keep their values and quantize as usual, so a
// resumed model or a PNQ stage only initialises what is new. Returns the number of quantizers
// initialised.
int calibrate_activations(const std::vector<nn::ConvSite>& sites, int max_batches, ActInit method,
                          const std::function<bool()>& run_next_batch);

// The same on a model, feeding `batches` (float images, N×3×H×W in [0, 1]) in eval mode without
// gradients; the model's train/eval mode is restored afterwards.
int calibrate_activations(nn::ModelImpl& model, const std::vector<torch::Tensor>& batches,
                          ActInit method);

}  // namespace qyolo::quant
