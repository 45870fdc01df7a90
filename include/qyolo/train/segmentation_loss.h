// The YOLOv5 segmentation loss (ultralytics yolov5 v7.0 utils/segment/loss.py): the detection
// terms plus, for every positive, BCE of its prototype mask (coefficients @ prototypes) against
// the target instance mask, cropped to the target box and normalised by the box area.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "qyolo/train/detection_loss.h"

namespace qyolo::train {

class SegmentationLoss {
 public:
  // overlap: the masks of a batch come as one (H,W) map per image whose value k marks the
  // image's k-th target (1-based); else one (H,W) mask per target row.
  SegmentationLoss(DetectionLossOptions options, bool overlap);

  // preds: nl raw maps (bs,na,ny,nx,5+nc+nm); proto (bs,nm,mh,mw); targets (n,6);
  // masks (bs,H,W) with overlap, else (n,H,W). Returns items (4,) = [box, seg, obj, cls].
  LossOutput operator()(const std::vector<torch::Tensor>& preds, const torch::Tensor& proto,
                        const torch::Tensor& targets, const torch::Tensor& masks);

 private:
  DetectionLoss detection_;
  bool overlap_;
};

// Per-image 1-based positions of the target rows, image by image as the overlap masks number
// them: (n,) for targets (n,6) of a batch of `batch_size` images.
torch::Tensor overlap_target_ids(const torch::Tensor& targets, int64_t batch_size);

}  // namespace qyolo::train
