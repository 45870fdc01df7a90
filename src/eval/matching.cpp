#include "qyolo/eval/matching.h"

#include "qyolo/geometry/boxes.h"

namespace qyolo::eval {

using torch::indexing::Slice;

torch::Tensor default_iou_thresholds(torch::Device device) {
  return torch::linspace(0.5, 0.95, 10, torch::TensorOptions().device(device));
}

torch::Tensor match_predictions(const torch::Tensor& iou, const torch::Tensor& label_classes,
                                const torch::Tensor& detection_classes,
                                const torch::Tensor& iou_thresholds) {
  const int64_t m = iou.size(0), n = iou.size(1), t = iou_thresholds.size(0);
  auto correct = torch::zeros({n, t}, torch::kBool);
  if (m == 0 || n == 0) {
    return correct.to(iou.device());
  }
  auto overlap = iou.to(torch::kCPU, torch::kFloat).contiguous();
  auto same_class =
      (label_classes.view({-1, 1}) == detection_classes.view({1, -1})).to(torch::kCPU).contiguous();
  auto thresholds = iou_thresholds.to(torch::kCPU, torch::kFloat).contiguous();
  const float* o = overlap.data_ptr<float>();
  const bool* same = same_class.data_ptr<bool>();
  auto correct_a = correct.accessor<bool, 2>();
  std::vector<int64_t> best_label(n);
  std::vector<uint8_t> label_taken(m);
  for (int64_t k = 0; k < t; ++k) {
    const float thr = thresholds.data_ptr<float>()[k];
    // Each detection's best label; on equal IoU the reference's reversed sort prefers the later
    // (higher-index) label.
    for (int64_t d = 0; d < n; ++d) {
      best_label[d] = -1;
      float best = 0;
      for (int64_t l = 0; l < m; ++l) {
        const float v = o[l * n + d];
        if (same[l * n + d] && v >= thr && (best_label[d] < 0 || v >= best)) {
          best = v;
          best_label[d] = l;
        }
      }
    }
    // Each label keeps its lowest-index detection.
    std::fill(label_taken.begin(), label_taken.end(), 0);
    for (int64_t d = 0; d < n; ++d) {
      const int64_t l = best_label[d];
      if (l >= 0 && !label_taken[l]) {
        label_taken[l] = 1;
        correct_a[d][k] = true;
      }
    }
  }
  return correct.to(iou.device());
}

torch::Tensor process_batch(const torch::Tensor& detections, const torch::Tensor& labels,
                            const torch::Tensor& iou_thresholds) {
  auto iou = geometry::box_iou(labels.index({Slice(), Slice(1, 5)}),
                               detections.index({Slice(), Slice(0, 4)}));
  return match_predictions(iou, labels.select(1, 0), detections.select(1, 5), iou_thresholds);
}

}  // namespace qyolo::eval
