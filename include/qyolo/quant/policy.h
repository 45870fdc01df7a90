// Which precision every convolution of a model gets, from config::QuantConfig, and installing
// the quantizers that realise it.
#pragma once

#include <string>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/quant_spec.h"

namespace qyolo::quant {

// The precision of one convolution.
struct ConvPlan {
  std::string path;
  int layer = 0;
  QuantSpec weight;
  QuantSpec input;
  bool first = false;        // the model's first conv (input = image)
  bool output = false;       // a Detect/Segment output conv
  std::string input_source;  // the conv whose input quantizer this one shares (describe only)
};

// The quantization policy of a QuantConfig:
// - without groups: every conv at weight_bits/weight_kind, its input at act_bits/act_kind;
// - with groups (MPQ): a conv is quantized as the last active group that lists its layer, and is
//   fp when no active group does; the active groups are those of a PNQ stage (all groups when
//   there are no stages, or for stage −1);
// then, for every conv that is quantized, the first conv is pinned to first_bits and the
// Detect/Segment output convs to last_bits (integer LSQ/LSQ+ for both); with groups an output
// conv no group lists is quantized as soon as any group is active. `overrides` apply last.
// LSQ activations use a signed grid, LSQ+ activations an unsigned grid with a learnable offset;
// the first conv's input (the image, in [0, 1]) uses an unsigned grid either way. At 8 bits that
// grid is fixed to the image grid (step 1/255, offset 0), which holds 8-bit images exactly, unless
// learn_image_step: learning it costs a gradient of the image, i.e. the first conv's input
// gradient, which the FP model never computes and which is its slowest backward.
class Policy {
 public:
  // Validates bits, kinds, patterns and stage/group names; throws UsageError naming the key.
  explicit Policy(config::QuantConfig config);

  std::vector<ConvPlan> plan(const std::vector<nn::ConvSite>& sites, int stage = -1) const;

  int stage_count() const { return static_cast<int>(config_.stages.size()); }
  const config::QuantConfig& config() const { return config_; }

 private:
  config::QuantConfig config_;
};

// Installs (or updates) a ConvQuantizer on every conv the plan quantizes and removes the hooks of
// convs the plan leaves fp. Parameter names of the model are unchanged; the quantizers' own state
// appears under "<conv path>.quant.*". A conv that already has a ConvQuantizer keeps the
// quantizers whose spec is unchanged, with their learned state (PNQ warm start).
// The model form also lets convs that read the same tensor share one input quantizer
// (shared_inputs.h); the sites form gives every conv its own.
void apply(const std::vector<nn::ConvSite>& sites, const Policy& policy, int stage = -1);
void apply(nn::ModelImpl& model, const Policy& policy, int stage = -1);

// The ConvQuantizer installed on a conv, or nullptr.
std::shared_ptr<ConvQuantizerImpl> conv_quantizer(const nn::ConvSite& site);
std::vector<std::shared_ptr<ConvQuantizerImpl>> conv_quantizers(
    const std::vector<nn::ConvSite>& sites);

// What is installed, per conv (for `qyolo info`).
std::vector<ConvPlan> describe(const std::vector<nn::ConvSite>& sites);
// A table: path, layer, weight bits/kind, input bits/kind (and the conv it is shared with).
std::string to_string(const std::vector<ConvPlan>& plans);

}  // namespace qyolo::quant
