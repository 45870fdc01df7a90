// ultralytics' per-class average precision (utils/metrics.py ap_per_class, 101-point COCO
// interpolation) and the val.py summary numbers. This is ultralytics mAP, not COCO mAP.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace qyolo::eval {

struct ApPerClass {
  // Per class with labels (sorted class ids), at the confidence that maximises the smoothed
  // mean F1: true/false positives, precision, recall, F1. All float64.
  torch::Tensor tp, fp, precision, recall, f1;
  torch::Tensor ap;       // (nc, T) average precision per IoU threshold
  torch::Tensor classes;  // (nc,) int64

  // Curves over the confidence grid `confidence` (1000 points in [0,1]) for the plots:
  // per-class precision/recall/F1 (nc, 1000) and the precision-recall curve at IoU 0.5
  // sampled on the same grid used as recall (nc, 1000).
  torch::Tensor confidence, precision_curve, recall_curve, f1_curve, pr_curve;

  torch::Tensor ap50() const;     // ap[:, 0]
  torch::Tensor ap50_95() const;  // ap.mean(1)
};

// tp (N,T) bool from process_batch, conf (N,), pred_cls (N,), target_cls (M,).
ApPerClass ap_per_class(const torch::Tensor& tp, const torch::Tensor& conf,
                        const torch::Tensor& pred_cls, const torch::Tensor& target_cls);

// Means over classes, as val.py prints them.
struct DetectionSummary {
  double mp = 0, mr = 0, map50 = 0, map50_95 = 0;
  std::vector<int64_t> labels_per_class;  // indexed by class id up to the largest one
};
DetectionSummary summarize(const ApPerClass& result, const torch::Tensor& target_cls,
                           int64_t num_classes);

// Model fitness used to pick best.pt: 0.1·mAP@0.5 + 0.9·mAP@0.5:0.95.
double fitness(const DetectionSummary& summary);

// numpy.interp semantics (xp non-decreasing; duplicates take the last matching point).
double interp(double x, const std::vector<double>& xp, const std::vector<double>& fp, double left,
              double right);

// numpy.linspace(start, stop, num) bit for bit.
std::vector<double> linspace(double start, double stop, int64_t num);

}  // namespace qyolo::eval
