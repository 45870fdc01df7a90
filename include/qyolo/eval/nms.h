// Non-maximum suppression: a greedy IoU kernel and ultralytics' non_max_suppression on top of it.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <vector>

namespace qyolo::eval {

// Greedy NMS over corner boxes (n,4) with scores (n,): keeps a box unless a kept box of higher
// score overlaps it with IoU > iou_threshold (torchvision.ops.nms semantics, float IoU in the
// boxes' dtype). Returns int64 indices into the inputs, by decreasing score.
torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);

// nms() where boxes of different `groups` (n,) never suppress each other.
torch::Tensor batched_nms(const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& groups, double iou_threshold);

struct NmsOptions {
  // Candidates need obj > conf_thres and obj*cls > conf_thres.
  TORCH_ARG(double, conf_thres) = 0.25;
  TORCH_ARG(double, iou_thres) = 0.45;
  // Keep only these class indices (empty: all).
  TORCH_ARG(std::vector<int64_t>, classes) = {};
  // Class-agnostic suppression.
  TORCH_ARG(bool, agnostic) = false;
  // One row per (box, class) with obj*cls > conf_thres instead of the best class only.
  TORCH_ARG(bool, multi_label) = false;
  TORCH_ARG(int64_t, max_det) = 300;
  // Trailing mask coefficients per prediction (segmentation heads), passed through.
  TORCH_ARG(int64_t, num_masks) = 0;
};

// ultralytics yolov5 v7.0 non_max_suppression on (bs, n, 5+nc+nm) predictions (cx,cy,w,h, obj,
// class probabilities, mask coefficients). Returns per image a (k, 6+nm) tensor
// [x1,y1,x2,y2, conf, cls, masks...] sorted by conf, at most max_det rows. `apriori_labels`
// (optional, per image (l,5) cls,x1,y1,x2,y2 — corner boxes, as the reference is called) join
// the candidates with confidence 1, as in autolabelling.
std::vector<torch::Tensor> non_max_suppression(
    const torch::Tensor& prediction, const NmsOptions& options = {},
    const std::vector<torch::Tensor>& apriori_labels = {});

}  // namespace qyolo::eval
