#include "qyolo/eval/confusion_matrix.h"

#include <algorithm>

#include "qyolo/geometry/boxes.h"

namespace qyolo::eval {

using torch::indexing::Slice;

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, double conf_thres, double iou_thres)
    : num_classes_(num_classes),
      conf_thres_(conf_thres),
      iou_thres_(iou_thres),
      matrix_(torch::zeros({num_classes + 1, num_classes + 1}, torch::kDouble)) {}

int64_t ConfusionMatrix::checked_class(float value, const char* what) const {
  // The matrix is indexed by class: a class the model does not have would write past it.
  TORCH_CHECK(value >= 0 && value < static_cast<float>(num_classes_), "ConfusionMatrix: ", what,
              " class ", value, " is outside the model's ", num_classes_, " classes");
  return static_cast<int64_t>(value);
}

void ConfusionMatrix::process_batch(const std::optional<torch::Tensor>& detections,
                                    const torch::Tensor& labels_in) {
  auto labels = labels_in.to(torch::kCPU, torch::kFloat);
  auto m = matrix_.accessor<double, 2>();
  const int64_t bg = num_classes_;
  std::vector<int64_t> gt_classes(labels.size(0));
  for (int64_t i = 0; i < labels.size(0); ++i) {
    gt_classes[i] = checked_class(labels[i][0].item<float>(), "label");
  }
  if (!detections) {
    for (int64_t gc : gt_classes) {
      m[bg][gc] += 1;  // missed object
    }
    return;
  }
  auto dets = detections->to(torch::kCPU, torch::kFloat);
  dets = dets.index({dets.select(1, 4) > conf_thres_});
  std::vector<int64_t> det_classes(dets.size(0));
  for (int64_t i = 0; i < dets.size(0); ++i) {
    det_classes[i] = checked_class(dets[i][5].item<float>(), "detection");
  }
  auto iou =
      geometry::box_iou(labels.index({Slice(), Slice(1, 5)}), dets.index({Slice(), Slice(0, 4)}))
          .contiguous();
  struct Match {
    int64_t label, det;
    float iou;
  };
  std::vector<Match> matches;
  auto iou_a = iou.accessor<float, 2>();
  for (int64_t l = 0; l < iou.size(0); ++l) {
    for (int64_t d = 0; d < iou.size(1); ++d) {
      if (iou_a[l][d] > iou_thres_) {
        matches.push_back({l, d, iou_a[l][d]});
      }
    }
  }
  // One match per detection, then one per label, each keeping the highest IoU.
  auto by_iou = [](const Match& a, const Match& b) { return a.iou > b.iou; };
  auto keep_first = [&](auto key) {
    std::stable_sort(matches.begin(), matches.end(), by_iou);
    std::vector<Match> unique;
    std::vector<int64_t> seen;
    for (const auto& mt : matches) {
      if (std::find(seen.begin(), seen.end(), key(mt)) == seen.end()) {
        seen.push_back(key(mt));
        unique.push_back(mt);
      }
    }
    matches = unique;
  };
  keep_first([](const Match& mt) { return mt.det; });
  keep_first([](const Match& mt) { return mt.label; });

  const bool any_match = !matches.empty();
  for (size_t i = 0; i < gt_classes.size(); ++i) {
    auto it = std::find_if(matches.begin(), matches.end(),
                           [&](const Match& mt) { return mt.label == static_cast<int64_t>(i); });
    if (it != matches.end()) {
      m[det_classes[it->det]][gt_classes[i]] += 1;  // correct or confused class
    } else {
      m[bg][gt_classes[i]] += 1;  // missed object
    }
  }
  // The reference counts unmatched detections only when the image has at least one match.
  if (any_match) {
    for (size_t d = 0; d < det_classes.size(); ++d) {
      const bool matched = std::any_of(matches.begin(), matches.end(), [&](const Match& mt) {
        return mt.det == static_cast<int64_t>(d);
      });
      if (!matched) {
        m[det_classes[d]][bg] += 1;  // false detection
      }
    }
  }
}

std::pair<torch::Tensor, torch::Tensor> ConfusionMatrix::tp_fp() const {
  auto tp = matrix_.diagonal();
  auto fp = matrix_.sum(1) - tp;
  return {tp.index({Slice(0, num_classes_)}), fp.index({Slice(0, num_classes_)})};
}

torch::Tensor ConfusionMatrix::normalized() const {
  return matrix_ / (matrix_.sum(0).view({1, -1}) + 1e-9);
}

}  // namespace qyolo::eval
