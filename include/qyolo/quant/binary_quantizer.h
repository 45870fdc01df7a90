// MPQ-YOLO's binary quantizers: weights sign(W)·α and activations α·sign(x − b).
#pragma once

#include <torch/torch.h>

#include "qyolo/quant/quantizer.h"

namespace qyolo::quant {

// sign with sign(0) = +1, as ±1 in x's dtype.
torch::Tensor binary_sign(const torch::Tensor& x);

// sign(x) forward; Bi-Real Net's ApproxSign backward, the derivative of the piecewise polynomial
// 2x + x² (−1 ≤ x < 0), 2x − x² (0 ≤ x < 1), ±1 outside: 2 − 2|x| for |x| < 1, else 0.
torch::Tensor approx_sign(const torch::Tensor& x);

// sign(w)·α per output channel; α (parameter "scale") starts at mean|w| of the channel and
// trains. The latent weight gets the straight-through gradient where |w| ≤ α and none outside.
class BinaryWeightQuantizerImpl : public QuantizerImpl {
 public:
  explicit BinaryWeightQuantizerImpl(int64_t out_channels);

  torch::Tensor forward(const torch::Tensor& w) override;
  QuantSpec spec() const override;

  torch::Tensor scale;  // (out_channels)

 protected:
  void init_from(const ActivationObserver& observer, ActInit method) override;
};
TORCH_MODULE(BinaryWeightQuantizer);

// α·sign(x − b) with a learnable shift b per input channel (parameter "shift", starts at 0) and a
// learnable scale α (parameter "scale", starts at mean|x| over the calibration data). The input
// gradient is α·ApproxSign'(x − b).
class BinaryActivationQuantizerImpl : public QuantizerImpl {
 public:
  explicit BinaryActivationQuantizerImpl(int64_t channels);

  torch::Tensor forward(const torch::Tensor& x) override;
  QuantSpec spec() const override;

  torch::Tensor shift;  // (channels)
  torch::Tensor scale;  // (1)

 protected:
  void init_from(const ActivationObserver& observer, ActInit method) override;
};
TORCH_MODULE(BinaryActivationQuantizer);

}  // namespace qyolo::quant
