// `qyolo eval` of a model: which data it is scored on and at what size, the validation, and the
// results folder it leaves (plots, predictions.json and metrics.json, see eval_report.h).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>

#include "qyolo/core/config.h"
#include "qyolo/eval/eval_report.h"
#include "qyolo/eval/eval_split.h"
#include "qyolo/eval/validator.h"
#include "qyolo/nn/model.h"

namespace qyolo::eval {

struct EvalRunOptions {
  // The data, the first of these given: the COCO split `coco` (e.g. val2017) under `coco_root`
  // (default_coco_root() when empty); the val split of the data yaml `data`; that of the data
  // yaml of `experiment`.
  TORCH_ARG(std::string, data);
  TORCH_ARG(std::string, coco);
  TORCH_ARG(std::filesystem::path, coco_root);
  // The experiment the model comes from: an experiment config, or the one a checkpoint stores.
  TORCH_ARG(std::optional<config::ExperimentConfig>, experiment);
  // The checkpoint file the model was restored from (empty when it was built): such a model is
  // scored at the size it was trained at, the experiment's train.imgsz, unless `img` is set.
  TORCH_ARG(std::string, checkpoint);
  // Inference size (640 when neither this nor a checkpoint gives one).
  TORCH_ARG(std::optional<int64_t>, img);
  // "det" or "seg"; empty: seg for a model with a Segment head.
  TORCH_ARG(std::string, task);
  TORCH_ARG(double, conf_thres) = 0.001;
  TORCH_ARG(double, iou_thres) = 0.65;
  TORCH_ARG(int64_t, max_det) = 300;
  TORCH_ARG(int, batch) = 32;
  TORCH_ARG(int, workers) = 4;
  // FP16 inference; applies to a model on a CUDA device only.
  TORCH_ARG(bool, half) = false;
  // Stop on a bad image or label line instead of skipping it.
  TORCH_ARG(bool, strict) = false;
  // Names the model in messages and in metrics.json.
  TORCH_ARG(std::string, model) = "the model";
  // The results folder: project/name, or name2, name3, ... when it exists (unless exist_ok).
  TORCH_ARG(std::filesystem::path, project) = "runs/val";
  TORCH_ARG(std::string, name) = "exp";
  TORCH_ARG(bool, exist_ok) = false;
};

struct EvalRun {
  std::filesystem::path dir;  // the results folder
  int64_t img = 0;            // the inference size used
  int batch = 0;
  EvalSplit split;
  ValidationResult result;
  EvalReport report;

  // ultralytics' table and speed line, then pycocotools' summary when COCO scored the run.
  std::string summary() const;
};

// Scores `model` (on its own device) as `options` describe and writes the results folder, which
// is created only once validation has succeeded. Throws UsageError when no data is given, the
// task or size does not suit the model, or the data has other classes than the model.
EvalRun evaluate_model(nn::ModelImpl& model, const EvalRunOptions& options);

}  // namespace qyolo::eval
