// The YOLOv7 loss with OTA assignment (WongKinYiu/yolov7 utils/loss.py ComputeLossOTA): the
// candidates are the YOLOv5 positives (anchor ratio, cell + 2 neighbours); per image, each target
// keeps its dynamic-k cheapest candidates (k = ⌊Σ top-10 IoU⌋ ≥ 1) under the cost
// BCE(√(σ(cls)·σ(obj)), one-hot) + 3·(−log IoU), a candidate claimed twice goes to its cheapest
// target; then the box/objectness/class terms of the YOLOv5 loss on that assignment.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "qyolo/train/detection_loss.h"

namespace qyolo::train {

class OtaLoss {
 public:
  explicit OtaLoss(DetectionLossOptions options);

  // image_size: the batch's input height in pixels; the reference scales the normalised target
  // boxes by it for the IoU cost (square inputs).
  LossOutput operator()(const std::vector<torch::Tensor>& preds, const torch::Tensor& targets,
                        int64_t image_size);

  // The candidates OTA chooses from (yolov7's find_3_positive): the YOLOv5 positives, each target
  // in its cell and the 2 nearest neighbour cells, for every anchor within the ratio threshold.
  DetectionTargets candidates(const std::vector<torch::Tensor>& preds,
                              const torch::Tensor& targets) const;

  // The OTA assignment: per level, images in order, the matched candidates with their target's
  // class, box (xy relative to the cell, wh; grid units), anchor and row in `targets`.
  DetectionTargets assign(const std::vector<torch::Tensor>& preds, const torch::Tensor& targets,
                          int64_t image_size) const;

 private:
  DetectionLoss detection_;
};

}  // namespace qyolo::train
