// Validation of a model on a data set, as ultralytics val.py (and segment/val.py) run it:
// eval-mode forward, NMS (multi-label, conf 0.001, IoU 0.65, max_det 300), boxes mapped back
// to each original image, val.py's matching at IoU 0.50:0.95, ap_per_class, the per-class
// table, a confusion matrix, and COCO-format predictions for pycocotools-exact scoring.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qyolo/data/loader.h"
#include "qyolo/eval/ap_per_class.h"
#include "qyolo/eval/confusion_matrix.h"
#include "qyolo/nn/model.h"

namespace qyolo::eval {

struct ValidationOptions {
  TORCH_ARG(double, conf_thres) = 0.001;
  TORCH_ARG(double, iou_thres) = 0.65;
  TORCH_ARG(int64_t, max_det) = 300;
  // Evaluate instance masks too (Segment heads; the loader must provide masks).
  TORCH_ARG(bool, masks) = false;
  // Collect COCO results (predictions.json entries) in original-image pixels.
  TORCH_ARG(bool, save_json) = false;
  // COCO category id of each class index (empty: the class index itself).
  TORCH_ARG(std::vector<int>, category_ids) = {};
  TORCH_ARG(bool, progress) = true;
};

struct ValidationMetrics {
  DetectionSummary summary;             // mp, mr, mAP50, mAP50-95 and labels per class
  std::optional<ApPerClass> per_class;  // absent when there were no labels
  double fitness = 0;                   // 0.1·mAP50 + 0.9·mAP50-95
};

struct ValidationResult {
  ValidationMetrics box;
  std::optional<ValidationMetrics> mask;  // with options.masks
  ConfusionMatrix confusion{1};
  int64_t images = 0;
  int64_t labels = 0;
  double ms_per_image_inference = 0;
  double ms_per_image_nms = 0;
  // Mean loss items over the batches when a loss function was given (else empty).
  std::vector<double> loss_items;
  nlohmann::json predictions = nlohmann::json::array();  // COCO results format
  // The first batch with its predictions, for val_batch0_pred.jpg.
  std::optional<data::Batch> first_batch;
  std::vector<torch::Tensor> first_predictions;

  // ultralytics' table: "Class Images Instances P R mAP50 mAP50-95" (all + per class).
  std::string table(const std::vector<std::string>& names) const;
};

// Loss items of a training-mode-shaped output for a batch; validation computes them with the
// eval forward's raw maps when given (as val.py does for the training loop).
using ValidationLoss = std::function<torch::Tensor(const nn::ModelOutput&, const data::Batch&)>;

// Runs `model` (put in eval mode, on its own device) over every batch of `loader` for one
// epoch and scores it. Deterministic for a given model and data.
ValidationResult validate(nn::ModelImpl& model, data::Loader& loader, int64_t num_classes,
                          const ValidationOptions& options = {},
                          const ValidationLoss& loss = nullptr);

// COCO image id of an image file as val.py makes it: the numeric stem, else the stem (with its
// bytes outside printable ASCII as \xNN when it is not UTF-8, which JSON text cannot hold).
nlohmann::json coco_image_id(const std::string& path);

}  // namespace qyolo::eval
