// Instance-mask helpers of the segmentation validator (ultralytics yolov5 v7.0
// utils/segment/general.py and segment/val.py): prototype masks -> instance masks, overlap masks
// -> one mask per label, and mask-based matching. Cropping and mask IoU are geometry/masks.h.
#pragma once

#include <torch/torch.h>

namespace qyolo::eval {

// Instance masks from prototypes (c,mh,mw) and coefficients (n,c) for boxes (n,4) given in the
// input image of size `image_hw`: sigmoid(coeffs @ protos), cropped to the boxes scaled to the
// prototype grid, optionally upsampled (bilinear) to image_hw, thresholded at 0.5.
// Returns float (n,mh,mw) or (n,h,w) of 0/1.
torch::Tensor process_mask(const torch::Tensor& protos, const torch::Tensor& coefficients,
                           const torch::Tensor& boxes, std::array<int64_t, 2> image_hw,
                           bool upsample = false);

// The "more accurate" variant: upsample to image_hw first, then crop with the image boxes.
torch::Tensor process_mask_upsample(const torch::Tensor& protos, const torch::Tensor& coefficients,
                                    const torch::Tensor& boxes, std::array<int64_t, 2> image_hw);

// Splits an overlap-encoded mask (1,h,w) whose pixel value i+1 marks label i into (n,h,w) 0/1.
torch::Tensor split_overlap_mask(const torch::Tensor& overlap_mask, int64_t num_labels);

// segment/val.py process_batch with masks: gt_masks (m,h,w) — resized to the predictions' size
// (bilinear, > 0.5) when they differ — against pred_masks (n,h',w'); labels (m,5) cls,...;
// detections (n,6). Returns correct (n,T) bool.
torch::Tensor process_batch_masks(const torch::Tensor& detections, const torch::Tensor& labels,
                                  const torch::Tensor& pred_masks, const torch::Tensor& gt_masks,
                                  const torch::Tensor& iou_thresholds);

}  // namespace qyolo::eval
