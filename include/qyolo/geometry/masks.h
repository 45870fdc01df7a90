// Instance-mask geometry of the segmentation loss and validator (ultralytics yolov5 v7.0
// utils/segment/general.py).
#pragma once

#include <torch/torch.h>

namespace qyolo::geometry {

// Zeroes everything outside each box: masks (n,h,w), boxes (n,4) x1,y1,x2,y2 in mask pixels;
// a pixel (x,y) stays when x1 <= x < x2 and y1 <= y < y2.
torch::Tensor crop_mask(const torch::Tensor& masks, const torch::Tensor& boxes);

// IoU of flattened masks (n,k) x (m,k) -> (n,m) (eps 1e-7 in the union).
torch::Tensor mask_iou(const torch::Tensor& masks1, const torch::Tensor& masks2, double eps = 1e-7);

}  // namespace qyolo::geometry
