// qyolo train: FP training, QAT (LSQ + EMA) and MPQ-YOLO with PNQ stages, all from one config.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/runtime_options.h"
#include "qyolo/core/input_file.h"
#include "qyolo/train/trainer.h"

namespace qyolo::cli {
namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string weights;
  std::string resume;
  std::optional<int> epochs, batch, img, workers, seed;
  std::optional<std::string> name, project;
  RuntimeOptions runtime;
};

// Shortcut flags are the same as --set train.<key>=<value>.
std::vector<std::string> overrides(const TrainOptions& o) {
  std::vector<std::string> sets = o.sets;
  auto add = [&](const char* key, const auto& value) {
    if (value) sets.push_back(std::string("train.") + key + "=" + fmt::format("{}", *value));
  };
  add("epochs", o.epochs);
  add("batch", o.batch);
  add("imgsz", o.img);
  add("workers", o.workers);
  add("seed", o.seed);
  add("name", o.name);
  add("project", o.project);
  if (!o.weights.empty()) sets.push_back("train.weights=" + o.weights);
  if (o.runtime.device) sets.push_back("train.device=" + *o.runtime.device);
  if (o.runtime.threads > 0) sets.push_back("train.threads=" + std::to_string(o.runtime.threads));
  return sets;
}

int run_train(const TrainOptions& o) {
  if (!o.weights.empty()) require_input_file(o.weights, "--weights");
  const auto cfg = train::load_run_config(o.config, o.resume, overrides(o));
  train::TrainRunOptions run;
  run.resume = o.resume;
  o.runtime.apply(cfg.train.device, cfg.train.threads);
  const auto summary = train::train(cfg, run);
  // The shell convention for a process ended by a signal: 130 for Ctrl-C, 143 for SIGTERM.
  if (summary.interrupted_by != 0) return 128 + summary.interrupted_by;
  spdlog::info("{} epochs completed; best fitness {:.4f} at epoch {}. Results in {}",
               summary.epochs_completed, summary.best_fitness, summary.best_epoch,
               summary.run_dir.string());
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* sub = app.add_subcommand("train", "Train a model (FP, QAT or MPQ) from a config");
  sub->add_option("--config", o->config,
                  "Experiment config, e.g. configs/fashiondet/yolov5n_fp.yaml");
  sub->add_option("--set", o->sets, "Override a config key: section.key=value (repeatable)");
  sub->add_option("--weights", o->weights, "Initial weights (.qyolo or converted PyTorch weights)");
  sub->add_option("--resume", o->resume,
                  "Continue an interrupted run from its last.qyolo (Ctrl-C stops a run between "
                  "batches and exits 130; a second Ctrl-C ends it at once)");
  sub->add_option("--epochs", o->epochs, "Same as --set train.epochs=N");
  sub->add_option("--batch", o->batch, "Same as --set train.batch=N (global batch)");
  sub->add_option("--img", o->img, "Same as --set train.imgsz=N");
  sub->add_option("--workers", o->workers, "Same as --set train.workers=N (loader threads)");
  sub->add_option("--seed", o->seed, "Same as --set train.seed=N");
  sub->add_option("--name", o->name, "Same as --set train.name=NAME (run folder name)");
  sub->add_option("--project", o->project, "Same as --set train.project=DIR (runs/train)");
  o->runtime.add_to(sub);
  return {sub, [o] { return run_train(*o); }};
}

}  // namespace qyolo::cli
