#include "qyolo/geometry/masks.h"

namespace qyolo::geometry {

torch::Tensor crop_mask(const torch::Tensor& masks, const torch::Tensor& boxes) {
  const int64_t h = masks.size(1), w = masks.size(2);
  auto c = boxes.unsqueeze(2).chunk(4, 1);  // each (n,1,1)
  auto cols = torch::arange(w, boxes.options()).view({1, 1, w});
  auto rows = torch::arange(h, boxes.options()).view({1, h, 1});
  auto inside = (cols >= c[0]) * (cols < c[2]) * (rows >= c[1]) * (rows < c[3]);
  return masks * inside;
}

torch::Tensor mask_iou(const torch::Tensor& masks1, const torch::Tensor& masks2, double eps) {
  auto inter = masks1.matmul(masks2.t()).clamp_min(0);
  auto uni = (masks1.sum(1).unsqueeze(1) + masks2.sum(1).unsqueeze(0)) - inter;
  return inter / (uni + eps);
}

}  // namespace qyolo::geometry
