// How commands that need a model get it: a model yaml (--model), an experiment config
// (--config, quantizers included), or weights (--weights: a .qyolo checkpoint restores its own
// architecture and quantizers; converted PyTorch weights need --model or --config too).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"

namespace qyolo::cli {

struct ModelSourceOptions {
  std::string model;
  std::string config;
  std::string weights;
  std::vector<std::string> sets;
  int64_t nc = 0;
  bool latent = false;  // a training checkpoint's latent weights instead of its EMA
};

void add_model_source_options(CLI::App* app, ModelSourceOptions& options);

struct LoadedModel {
  nn::Model model{nullptr};
  std::optional<config::ExperimentConfig> config;
  std::optional<Checkpoint> checkpoint;
  std::string description;  // what was loaded, for the log
};

LoadedModel load_model_source(const ModelSourceOptions& options);

// The number of classes of an experiment: cfg.nc, else the data yaml's nc, else 0 (the model's).
int64_t experiment_nc(const config::ExperimentConfig& cfg);

}  // namespace qyolo::cli
