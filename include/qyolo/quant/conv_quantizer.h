// The ConvHook that quantizes one convolution: its weight, its input activation, and an optional
// per-output-channel affine (quantization correction) after it.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "qyolo/nn/conv_hook.h"
#include "qyolo/quant/input_memo.h"
#include "qyolo/quant/oscillation.h"
#include "qyolo/quant/quant_spec.h"
#include "qyolo/quant/quantizer.h"

namespace qyolo::quant {

struct ConvQuantizerOptions {
  ConvQuantizerOptions(torch::IntArrayRef weight_shape, int64_t in_channels)
      : weight_shape_(weight_shape.vec()), in_channels_(in_channels) {}
  TORCH_ARG(std::vector<int64_t>, weight_shape);
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(QuantSpec, weight);
  TORCH_ARG(QuantSpec, input);
  // Track weight oscillations (integer weight quantizers only).
  TORCH_ARG(bool, track_oscillations) = true;
  TORCH_ARG(double, oscillation_momentum) = 0.01;
};

// A quantizer for `spec` of a weight shaped `weight_shape` or of an input with `in_channels`
// channels; nullptr for fp.
std::shared_ptr<QuantizerImpl> make_weight_quantizer(const QuantSpec& spec,
                                                     torch::IntArrayRef weight_shape);
std::shared_ptr<QuantizerImpl> make_input_quantizer(const QuantSpec& spec, int64_t in_channels);

// Submodules "weight_quantizer", "input_quantizer" (absent when fp or shared) and "oscillation";
// parameters "gamma"/"beta" while quantization correction is enabled.
class ConvQuantizerImpl : public nn::ConvHookImpl {
 public:
  explicit ConvQuantizerImpl(const ConvQuantizerOptions& options);

  torch::Tensor input(const torch::Tensor& x) override;
  torch::Tensor weight(const torch::Tensor& w) override;
  torch::Tensor output(const torch::Tensor& y) override;

  QuantSpec weight_spec() const;
  QuantSpec input_spec() const;

  // Replaces a quantizer whose spec differs from `spec` by a new one (initialised from data
  // later); a quantizer with the same spec keeps its learned state. An input quantizer shared
  // from another conv is always replaced by one of this conv's own.
  void set_weight_spec(const QuantSpec& spec);
  void set_input_spec(const QuantSpec& spec);

  // This conv reads the same tensor as `source` (at `source_path`): quantize it with the
  // source's input quantizer, as integer hardware quantizes a tensor once. The fake-quantized
  // tensor is then computed once per forward and read by both convs, so QAT keeps one copy of
  // it, as FP keeps one input. This conv's own input quantizer is dropped.
  void share_input_of(ConvQuantizerImpl& source, const std::string& source_path);
  // The path of the conv whose input quantizer this one uses; empty when it has its own.
  const std::string& input_source() const { return input_source_; }

  // Makes the quantized weight γ times larger per output channel, exactly: binary scales and
  // fp weights are multiplied by γ; an LSQ weight quantizer becomes per-channel with steps
  // s·γ over the latent weights γ·W (the integers do not change). `weight` is the conv's latent
  // weight, updated in place.
  void scale_output_channels(const torch::Tensor& weight, const torch::Tensor& gamma);

  // Quantization correction: y' = γ·y + β per output channel, γ = 1, β = 0.
  void enable_correction();
  void remove_correction();
  bool has_correction() const { return gamma.defined(); }

  // The integers of an LSQ-quantized weight `w` as the forward uses them: weights that
  // oscillation freezing holds keep their frozen integer. What exporters must write.
  torch::Tensor weight_integers(const torch::Tensor& w) const;

  const std::shared_ptr<QuantizerImpl>& weight_quantizer() const { return weight_quantizer_; }
  const std::shared_ptr<QuantizerImpl>& input_quantizer() const { return input_quantizer_; }
  // Oscillation state of an integer weight quantizer; nullptr otherwise.
  const std::shared_ptr<OscillationTrackerImpl>& tracker() const { return tracker_; }

  torch::Tensor gamma;
  torch::Tensor beta;

 private:
  ConvQuantizerOptions options_;
  std::shared_ptr<QuantizerImpl> weight_quantizer_;
  std::shared_ptr<QuantizerImpl> input_quantizer_;
  std::string input_source_;
  std::shared_ptr<InputMemo> input_memo_;  // set while the input quantizer is shared
  std::shared_ptr<OscillationTrackerImpl> tracker_;
};

TORCH_MODULE(ConvQuantizer);

}  // namespace qyolo::quant
