// qyolo correct: one quantization-correction epoch on a QAT checkpoint (WACV 2024).
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/runtime_options.h"
#include "qyolo/train/quantization_correction.h"

namespace qyolo::cli {
namespace {

struct CorrectOptions {
  train::CorrectionOptions run;
  RuntimeOptions runtime;
};

std::string describe(const std::optional<train::CorrectionMetrics>& m) {
  return m ? fmt::format("mAP50 {:.4f}  mAP50-95 {:.4f}", m->map50, m->map50_95) : "-";
}

int run_correct(CorrectOptions& o) {
  o.run.device = o.runtime.apply().str();
  const auto s = train::correct(o.run);
  spdlog::info("quantization correction: {} parameters trained on {} images in {:.1f} s",
               s.trained_parameters, s.images, s.seconds);
  spdlog::info("  before:          {}", describe(s.before));
  if (o.run.recalibrate_bn) spdlog::info("  BN recalibrated: {}", describe(s.after_recalibration));
  spdlog::info("  after:           {}", describe(s.after));
  spdlog::info("corrected model written to {}", s.output.string());
  return 0;
}

}  // namespace

Command add_correct(CLI::App& app) {
  auto o = std::make_shared<CorrectOptions>();
  CLI::App* sub = app.add_subcommand(
      "correct",
      "Quantization correction: train per-channel affines for an epoch, fold them into BN");
  sub->add_option("--weights", o->run.weights,
                  "QAT checkpoint (default: the newest runs/train/*/weights/best.qyolo)");
  sub->add_option("--data", o->run.data, "Data yaml (default: the one the run trained on)");
  sub->add_option("--epochs", o->run.epochs, "Correction epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--lr", o->run.lr, "Adam learning rate of the affines")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_option("--images", o->run.images, "Calibration images from the train split (0 = all)")
      ->check(CLI::Range(0, 100000000))
      ->capture_default_str();
  sub->add_option("--batch", o->run.batch,
                  "Batch size (global: split over data-parallel processes)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  sub->add_option("--workers", o->run.workers, "Loader threads")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  sub->add_option("--dist-timeout", o->run.dist_timeout,
                  "Seconds a data-parallel process waits for its peers before failing")
      ->check(CLI::Range(1, 7 * 86400))
      ->capture_default_str();
  sub->add_flag("--recalibrate-bn", o->run.recalibrate_bn,
                "Re-estimate BN running statistics on the calibration data first");
  sub->add_flag("--train-scales", o->run.train_scales,
                "Also train the quantizer steps with the affines");
  sub->add_flag("!--no-val", o->run.validate, "Skip the mAP before/after");
  sub->add_option("-o,--output", o->run.output,
                  "Output checkpoint (default: corrected.qyolo next to the input)");
  sub->add_option("--project", o->run.project, "Where to look for the newest run")
      ->capture_default_str();
  o->runtime.add_to(sub);
  return {sub, [o] { return run_correct(*o); }};
}

}  // namespace qyolo::cli
