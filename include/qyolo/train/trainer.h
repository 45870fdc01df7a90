// `qyolo train`: the ultralytics train.py loop over the library pieces — model from its yaml
// (+ weights), loaders from the data yaml, the head's task loss, optimizer groups, warmup and LR
// schedule, EMA, per-epoch validation of the EMA model, fitness, last/best checkpoints,
// results.csv, early stopping, close-mosaic and resuming from last.qyolo.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/core/config.h"

namespace qyolo::train {

struct TrainRunOptions {
  // A checkpoint to continue. Its run folder is reused when it lies in <run>/weights/; from
  // anywhere else the run continues in a new folder from the config (see resume_run_dir).
  std::filesystem::path resume;
};

struct TrainSummary {
  std::filesystem::path run_dir;
  int epochs_completed = 0;
  double best_fitness = 0;
  int best_epoch = -1;
  // SIGINT or SIGTERM when Ctrl-C / a kill stopped the run between batches (0 otherwise); the
  // last checkpoint written is its resume point. The CLI exits with 128 + this number.
  int interrupted_by = 0;
};

// The config a run starts from: the one stored in the checkpoint `resume` (a resumed run
// continues as it was started), else the experiment yaml `config`; `overrides`
// (section.key=value) apply to either. Throws UsageError when neither is given or `resume` is
// not a checkpoint.
config::ExperimentConfig load_run_config(const std::string& config, const std::string& resume,
                                         const std::vector<std::string>& overrides = {});

// Trains `config`. Throws qyolo::UsageError for bad input and for resuming a finished run, and
// qyolo::Error when the training loss, the weights after an epoch or the validation losses are
// not finite (before they overwrite the last good checkpoint). Config, data and model errors
// found while setting up leave no new run folder behind. A plot that cannot be written is a
// warning, never the end of a run.
TrainSummary train(const config::ExperimentConfig& config, const TrainRunOptions& options = {});

// The run folder a resumed run writes to: <run> for a checkpoint in <run>/weights/, else a new
// folder <train.project>/<train.name> (incremented), as a fresh run from that config would use.
std::filesystem::path resume_run_dir(const std::filesystem::path& checkpoint,
                                     const config::TrainConfig& train);

}  // namespace qyolo::train
