// `qyolo correct`: quantization correction (Gupta & Asthana, WACV 2024). A QAT checkpoint's EMA
// model gets a per-output-channel affine γ·y + β after every quantized conv (before its BN);
// only γ, β train, for one epoch with the task loss on (a subset of) the training set, BN in
// eval mode; then the affines are folded into the BN (or the Detect convs' bias and per-channel
// steps), so the corrected model costs nothing extra at inference.
// Optional variants: re-estimate the BN statistics on the calibration data first (Nagel et al.
// 2022) and let the quantizer steps train together with γ, β.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace qyolo::train {

struct CorrectionOptions {
  // A .qyolo from qyolo train (its EMA weights are corrected); empty: the newest
  // <project>/*/weights/best.qyolo.
  std::filesystem::path weights;
  std::filesystem::path project = "runs/train";
  std::string data;  // data yaml; default: the one the run trained on
  int epochs = 1;
  double lr = 1e-4;  // Adam
  int images = 0;    // calibration subset of the train split (0 = all of it)
  int batch = 16;
  int workers = 2;
  bool recalibrate_bn = false;  // re-estimate BN running statistics before training γ, β
  int recalibrate_batches = 50;
  bool train_scales = false;  // also train the quantizer steps / offsets / binary scales
  bool validate = true;       // mAP before and after
  std::string device = "cpu";
  std::filesystem::path output;  // default: corrected.qyolo next to `weights`
  int dist_timeout = 1800;       // seconds a process waits for its peers (data-parallel runs)
};

struct CorrectionMetrics {
  double map50 = 0;
  double map50_95 = 0;
};

struct CorrectionSummary {
  std::optional<CorrectionMetrics> before;
  std::optional<CorrectionMetrics> after_recalibration;
  std::optional<CorrectionMetrics> after;
  std::filesystem::path output;
  int64_t trained_parameters = 0;
  int64_t images = 0;
  double seconds = 0;  // the correction epochs alone (no validation)
};

// Runs data parallel when started by a launcher (torchrun, SLURM, scripts/launch_local.sh):
// `batch` is then the global batch, rank 0 validates and writes the output. Throws UsageError,
// before any data is read, when the weights are not a quantized checkpoint, its train.imgsz does
// not suit its model, or the data has other classes than the model.
CorrectionSummary correct(const CorrectionOptions& options);

// The newest runs/train/*/weights/best.qyolo under `project`, or nothing.
std::optional<std::filesystem::path> newest_best_checkpoint(const std::filesystem::path& project);

}  // namespace qyolo::train
