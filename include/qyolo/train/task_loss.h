// The training loss a model's head calls for: YOLOv5 loss for Detect heads, the OTA loss for
// YOLOv7 IDetect heads (hyp loss_ota = 1, else the YOLOv5 loss, as yolov7 train.py), and the
// segmentation loss for Segment heads.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <variant>

#include "qyolo/core/config.h"
#include "qyolo/nn/model.h"
#include "qyolo/train/detection_loss.h"
#include "qyolo/train/ota_loss.h"
#include "qyolo/train/segmentation_loss.h"

namespace qyolo::train {

// The hyp's loss gains as ultralytics' and yolov7's train.py scale them before building the loss,
// so one hyp file serves every head, class count and image size: box ×3/nl, cls ×nc/80·3/nl,
// obj ×(imgsz/640)²·3/nl. At COCO's 80 classes, 640 px and 3 output layers every factor is 1.
config::Hyp scale_loss_gains(const config::Hyp& hyp, int64_t nc, int64_t nl, int64_t imgsz);

class TaskLoss {
 public:
  // imgsz: the training image size (train.imgsz) the gains are scaled to.
  // overlap_masks: segmentation masks come as one overlap map per image.
  TaskLoss(const nn::ModelImpl& model, const config::Hyp& hyp, int64_t imgsz,
           bool overlap_masks = true);

  // output: the model's train-mode output for `images` (B,3,H,W); targets (n,6);
  // masks as the loader gives them (segmentation only).
  LossOutput operator()(const nn::ModelOutput& output, const torch::Tensor& images,
                        const torch::Tensor& targets, const torch::Tensor& masks = {});

  // Names of the items, for logs and results.csv: box, obj, cls (+ seg second for segmentation).
  std::vector<std::string> item_names() const;

 private:
  std::variant<DetectionLoss, OtaLoss, SegmentationLoss> loss_;
};

}  // namespace qyolo::train
