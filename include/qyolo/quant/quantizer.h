// The interface every weight or activation quantizer implements, and the statistics collected
// while calibrating activation quantizers.
#pragma once

#include <torch/torch.h>

#include <limits>
#include <optional>
#include <vector>

#include "qyolo/quant/quant_spec.h"

namespace qyolo::quant {

// How activation steps are set from calibration data.
enum class ActInit { kMinMax, kMse };
// "minmax" | "mse"; throws UsageError naming `key`.
ActInit parse_act_init(const std::string& name, const std::string& key);

// Running range and a strided subsample of the values seen while calibrating.
class ActivationObserver {
 public:
  void observe(const torch::Tensor& x);

  double min() const { return min_; }
  double max() const { return max_; }
  bool empty() const { return samples_.empty(); }
  // All kept samples, flattened (float).
  torch::Tensor samples() const;

 private:
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> samples_;
};

// A module mapping a tensor to its quantized value. Its data-dependent initial parameters are set
// once (buffer "initialized", saved with the model), so resumed or loaded models keep their
// learned values.
class QuantizerImpl : public torch::nn::Module {
 public:
  QuantizerImpl();

  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual QuantSpec spec() const = 0;

  bool initialized() const { return initialized_.item<bool>(); }

  // While observing, forward records `x` and returns it unquantized.
  void start_observing() { observer_.emplace(); }
  bool observing() const { return observer_.has_value(); }
  // Sets the parameters from what was observed (if not initialized yet) and stops observing.
  void finish_observing(ActInit method);

 protected:
  // Sets the parameters from `observer`; called once, before the first quantized forward.
  virtual void init_from(const ActivationObserver& observer, ActInit method) = 0;
  // Observes `x` when observing; else initialises from `x` alone if nothing was calibrated.
  // Returns true when `x` should pass through unquantized.
  bool observe_or_init(const torch::Tensor& x, ActInit fallback);
  void mark_initialized();

 private:
  torch::Tensor initialized_;
  std::optional<ActivationObserver> observer_;
};

}  // namespace qyolo::quant
