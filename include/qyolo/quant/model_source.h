// How commands that need a model get it: a model yaml, an experiment config (quantizers
// included), or weights (a .qyolo checkpoint restores its own architecture and quantizers;
// converted PyTorch weights need a model yaml or an experiment config too). The messages name
// the flags these come from in qyolo's commands (--model, --config, --weights, --latent).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"

namespace qyolo::quant {

struct ModelSourceOptions {
  std::string model;              // model yaml (configs/models/*.yaml format)
  std::string config;             // experiment config
  std::string weights;            // .qyolo checkpoint or converted PyTorch weights
  std::vector<std::string> sets;  // config overrides, section.key=value
  int64_t nc = 0;                 // classes; 0: the config's, its data's, or the yaml's
  bool latent = false;            // a training checkpoint's latent weights instead of its EMA
};

struct LoadedModel {
  nn::Model model{nullptr};
  std::optional<config::ExperimentConfig> config;
  std::optional<Checkpoint> checkpoint;
  std::string description;  // what was loaded, for the log
};

// Builds or restores the model `options` describe. Throws UsageError for a missing, empty or
// foreign weights file, for weights holding NaN or inf, and when no model is given.
LoadedModel load_model_source(const ModelSourceOptions& options);

// The number of classes of an experiment: cfg.nc, else the data yaml's nc, else 0 (the model's).
int64_t experiment_nc(const config::ExperimentConfig& cfg);

}  // namespace qyolo::quant
