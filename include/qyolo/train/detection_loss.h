// The YOLOv5 detection loss (ultralytics yolov5 v7.0 ComputeLoss): anchor-ratio target
// assignment to the cell and its two nearest neighbours, CIoU box loss, objectness against the
// detached IoU, per-level objectness balance and BCE classification.
#pragma once

#include <torch/torch.h>

#include <array>
#include <vector>

#include "qyolo/core/config.h"

namespace qyolo::train {

// The loss of one batch: `loss` (1,) = (box + obj + cls) · batch size, the value to backpropagate;
// `items` (3,) = detached [box, obj, cls] after the hyp gains.
struct LossOutput {
  torch::Tensor loss;
  torch::Tensor items;
};

// Per level: the positives and what they should predict.
struct DetectionTargets {
  std::vector<torch::Tensor> cls;  // (n,) int64
  std::vector<torch::Tensor> box;  // (n,4) xy offset in the cell, wh (grid units)
  std::vector<std::array<torch::Tensor, 4>> indices;  // image, anchor, grid y, grid x (n,) int64
  std::vector<torch::Tensor> anchors;                 // (n,2) grid units
  std::vector<torch::Tensor> target_ids;              // (n,) int64: the id given to its target row
  std::vector<torch::Tensor> xywhn;                   // (n,4) its target box, normalised
};

// The gained loss terms (1,) of a batch with the assignment and the predictions at the positives
// (n,no) per level, for losses that add terms on the same positives (segmentation).
struct DetectionTerms {
  torch::Tensor box, obj, cls;
  DetectionTargets targets;
  std::vector<torch::Tensor> positives;
};

struct DetectionLossOptions {
  DetectionLossOptions(config::Hyp hyp, int64_t nc, torch::Tensor anchors, torch::Tensor stride)
      : hyp_(std::move(hyp)), nc_(nc), anchors_(std::move(anchors)), stride_(std::move(stride)) {}
  TORCH_ARG(config::Hyp, hyp);
  TORCH_ARG(int64_t, nc);
  TORCH_ARG(torch::Tensor, anchors);  // (nl,na,2) grid units, as nn::Model::anchors()
  TORCH_ARG(torch::Tensor, stride);   // (nl,) pixels per cell
  // Learn the objectness balance online, normalised to the stride-16 level.
  TORCH_ARG(bool, autobalance) = false;
  // Objectness target = (1-gr) + gr·IoU.
  TORCH_ARG(double, gr) = 1.0;
  // Write the highest IoU last where several positives share a cell.
  TORCH_ARG(bool, sort_obj_iou) = false;
};

class DetectionLoss {
 public:
  explicit DetectionLoss(DetectionLossOptions options);

  // preds: the nl raw head maps (bs,na,ny,nx,no) with no >= 5 + nc; targets (n,6): image, class,
  // cx, cy, w, h normalised to [0,1].
  LossOutput operator()(const std::vector<torch::Tensor>& preds, const torch::Tensor& targets);

  // Positives in the reference order: level, then offset (the cell, then its x-1, y-1, x+1, y+1
  // neighbours), then anchor, then target.
  // target_ids (n,) labels each target row (default: its row index). The arithmetic, and the
  // box, anchors and xywhn it returns, are float32 whatever the dtype of preds and targets.
  DetectionTargets build_targets(const std::vector<torch::Tensor>& preds,
                                 const torch::Tensor& targets,
                                 const torch::Tensor& target_ids = {}) const;

  DetectionTerms terms(const std::vector<torch::Tensor>& preds, const torch::Tensor& targets,
                       const torch::Tensor& target_ids = {});

  // The terms for a given assignment (cls, box, indices, anchors per level), e.g. OTA's.
  DetectionTerms assigned_terms(const std::vector<torch::Tensor>& preds,
                                DetectionTargets assignment);

  const DetectionLossOptions& options() const { return options_; }

  const std::vector<double>& balance() const { return balance_; }

 private:
  DetectionLossOptions options_;
  std::vector<double> balance_;
  int64_t stride16_level_ = 0;
  double class_positive_ = 1.0;
  double class_negative_ = 0.0;
};

}  // namespace qyolo::train
