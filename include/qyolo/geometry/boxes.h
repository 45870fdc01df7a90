// Box conversions and overlaps of the losses and of evaluation (NMS, matching, the validator),
// with ultralytics semantics. Clipping lives with the letterbox: data::clip_boxes / scale_boxes.
#pragma once

#include <torch/torch.h>

namespace qyolo::geometry {

// (n,>=4) centre-size boxes -> corner boxes; columns past 4 are copied unchanged.
torch::Tensor xywh2xyxy(const torch::Tensor& boxes);
// (n,>=4) corner boxes -> centre-size boxes; columns past 4 are copied unchanged.
torch::Tensor xyxy2xywh(const torch::Tensor& boxes);

// Pairwise IoU of corner boxes (n,4) x (m,4) -> (n,m), eps 1e-7 in the union as the reference.
torch::Tensor box_iou(const torch::Tensor& boxes1, const torch::Tensor& boxes2, double eps = 1e-7);

enum class IouKind { kIoU, kGIoU, kDIoU, kCIoU };

// Element-wise (broadcast) IoU of box1 (..,4) against box2 (..,4), the loss' overlap measure:
// xywh selects centre-size input; GIoU/DIoU/CIoU follow yolov5 v7.0 bbox_iou, including the
// no-grad CIoU trade-off weight alpha. Returns (..,1).
torch::Tensor bbox_iou(const torch::Tensor& box1, const torch::Tensor& box2, bool xywh = true,
                       IouKind kind = IouKind::kIoU, double eps = 1e-7);

}  // namespace qyolo::geometry
