// Building the model an experiment describes, and restoring one from a checkpoint, with the
// quantizers its config asks for installed before the weights load (so learned steps, offsets
// and tracker state load by name).
#pragma once

#include <string>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"

namespace qyolo::quant {

// The last PNQ stage of `q` (stage count − 1), or −1 when it has no stages.
int final_stage(const config::QuantConfig& q);

// nn::Model from cfg.model (resolved next to cfg.source) with `nc` classes (0 = the yaml's),
// quantized as stage `stage` of cfg.quant when quantization is enabled.
nn::Model build_model(const config::ExperimentConfig& cfg, int64_t nc, int stage);

struct RestoredModel {
  nn::Model model{nullptr};
  config::ExperimentConfig config;  // the config stored in the checkpoint (defaults if none)
  int stage = -1;                   // the PNQ stage the checkpoint was saved in
  nn::LoadReport report;
};

// Rebuilds the checkpoint's architecture and quantizers, then loads its EMA weights (or its raw
// weights when `use_ema` is false or there is no EMA). `origin` names the file in messages.
// The stage comes from the checkpoint's meta ("stage"), else the config's final stage.
RestoredModel restore_model(const Checkpoint& ckpt, const std::string& origin, bool use_ema = true);

}  // namespace qyolo::quant
