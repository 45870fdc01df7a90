// `qyolo train`: the ultralytics train.py loop over the library pieces — model from its yaml
// (+ weights), loaders from the data yaml, the head's task loss, optimizer groups, warmup and LR
// schedule, EMA, per-epoch validation of the EMA model, fitness, last/best checkpoints,
// results.csv, early stopping, close-mosaic and resuming from last.qyolo.
#pragma once

#include <filesystem>
#include <string>

#include "qyolo/core/config.h"

namespace qyolo::train {

struct TrainRunOptions {
  std::filesystem::path resume;  // a last.qyolo to continue (its run folder is reused)
};

struct TrainSummary {
  std::filesystem::path run_dir;
  int epochs_completed = 0;
  double best_fitness = 0;
  int best_epoch = -1;
};

// Trains `config`; throws qyolo::Error/UsageError for bad input and for a non-finite loss (the
// last good checkpoint stays on disk).
TrainSummary train(const config::ExperimentConfig& config, const TrainRunOptions& options = {});

// ultralytics increment_path: `base` if free (or exist_ok), else base2, base3, ...
std::filesystem::path increment_run_dir(const std::filesystem::path& base, bool exist_ok);

}  // namespace qyolo::train
