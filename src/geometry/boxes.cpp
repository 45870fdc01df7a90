#include "qyolo/geometry/boxes.h"

#include <cmath>

namespace qyolo::geometry {

using torch::indexing::Slice;

torch::Tensor xywh2xyxy(const torch::Tensor& boxes) {
  auto out = boxes.clone();
  auto xy = boxes.index({Slice(), Slice(0, 2)});
  auto half_wh = boxes.index({Slice(), Slice(2, 4)}) / 2;
  out.index_put_({Slice(), Slice(0, 2)}, xy - half_wh);
  out.index_put_({Slice(), Slice(2, 4)}, xy + half_wh);
  return out;
}

torch::Tensor xyxy2xywh(const torch::Tensor& boxes) {
  auto out = boxes.clone();
  auto p1 = boxes.index({Slice(), Slice(0, 2)});
  auto p2 = boxes.index({Slice(), Slice(2, 4)});
  out.index_put_({Slice(), Slice(0, 2)}, (p1 + p2) / 2);
  out.index_put_({Slice(), Slice(2, 4)}, p2 - p1);
  return out;
}

torch::Tensor box_iou(const torch::Tensor& boxes1, const torch::Tensor& boxes2, double eps) {
  auto a = boxes1.unsqueeze(1).chunk(2, 2);
  auto b = boxes2.unsqueeze(0).chunk(2, 2);
  auto inter = (torch::min(a[1], b[1]) - torch::max(a[0], b[0])).clamp_min(0).prod(2);
  return inter / ((a[1] - a[0]).prod(2) + (b[1] - b[0]).prod(2) - inter + eps);
}

torch::Tensor bbox_iou(const torch::Tensor& box1, const torch::Tensor& box2, bool xywh,
                       IouKind kind, double eps) {
  torch::Tensor b1x1, b1y1, b1x2, b1y2, b2x1, b2y1, b2x2, b2y2, w1, h1, w2, h2;
  const auto box1_parts = box1.chunk(4, -1);
  const auto box2_parts = box2.chunk(4, -1);
  if (xywh) {
    w1 = box1_parts[2];
    h1 = box1_parts[3];
    w2 = box2_parts[2];
    h2 = box2_parts[3];
    auto hw1 = w1 / 2, hh1 = h1 / 2, hw2 = w2 / 2, hh2 = h2 / 2;
    b1x1 = box1_parts[0] - hw1;
    b1x2 = box1_parts[0] + hw1;
    b1y1 = box1_parts[1] - hh1;
    b1y2 = box1_parts[1] + hh1;
    b2x1 = box2_parts[0] - hw2;
    b2x2 = box2_parts[0] + hw2;
    b2y1 = box2_parts[1] - hh2;
    b2y2 = box2_parts[1] + hh2;
  } else {
    b1x1 = box1_parts[0];
    b1y1 = box1_parts[1];
    b1x2 = box1_parts[2];
    b1y2 = box1_parts[3];
    b2x1 = box2_parts[0];
    b2y1 = box2_parts[1];
    b2x2 = box2_parts[2];
    b2y2 = box2_parts[3];
    w1 = b1x2 - b1x1;
    h1 = b1y2 - b1y1 + eps;
    w2 = b2x2 - b2x1;
    h2 = b2y2 - b2y1 + eps;
  }
  auto inter = (torch::min(b1x2, b2x2) - torch::max(b1x1, b2x1)).clamp_min(0) *
               (torch::min(b1y2, b2y2) - torch::max(b1y1, b2y1)).clamp_min(0);
  auto union_area = w1 * h1 + w2 * h2 - inter + eps;
  auto iou = inter / union_area;
  if (kind == IouKind::kIoU) {
    return iou;
  }
  auto cw = torch::max(b1x2, b2x2) - torch::min(b1x1, b2x1);  // enclosing box width
  auto ch = torch::max(b1y2, b2y2) - torch::min(b1y1, b2y1);
  if (kind == IouKind::kGIoU) {
    auto c_area = cw * ch + eps;
    return iou - (c_area - union_area) / c_area;
  }
  auto c2 = cw.pow(2) + ch.pow(2) + eps;  // enclosing diagonal squared
  auto rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) / 4;
  if (kind == IouKind::kDIoU) {
    return iou - rho2 / c2;
  }
  auto v = (4 / (M_PI * M_PI)) * torch::pow(torch::atan(w2 / h2) - torch::atan(w1 / h1), 2);
  torch::Tensor alpha;
  {
    // The reference treats alpha as a constant weight: no gradient flows through it.
    torch::NoGradGuard no_grad;
    alpha = v / (v - iou + (1 + eps));
  }
  return iou - (rho2 / c2 + v * alpha);
}

}  // namespace qyolo::geometry
