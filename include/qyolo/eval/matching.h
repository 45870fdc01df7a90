// val.py's assignment of predictions to labels (process_batch) at several IoU thresholds.
#pragma once

#include <torch/torch.h>

namespace qyolo::eval {

// The 10 COCO IoU thresholds 0.50:0.05:0.95 as val.py builds them (torch.linspace, float32).
torch::Tensor default_iou_thresholds(torch::Device device = torch::kCPU);

// Given overlaps iou (M labels, N detections), label classes (M,) and detection classes (N,),
// returns correct (N, T) bool: at each threshold, each detection takes its best-overlap label
// of the same class with IoU >= threshold, then each label keeps the first such detection
// (lowest index, i.e. highest confidence when detections are sorted) — yolov5 v7.0 semantics.
torch::Tensor match_predictions(const torch::Tensor& iou, const torch::Tensor& label_classes,
                                const torch::Tensor& detection_classes,
                                const torch::Tensor& iou_thresholds);

// detections (N,6) x1,y1,x2,y2,conf,cls; labels (M,5) cls,x1,y1,x2,y2 -> correct (N,T) bool.
torch::Tensor process_batch(const torch::Tensor& detections, const torch::Tensor& labels,
                            const torch::Tensor& iou_thresholds);

}  // namespace qyolo::eval
