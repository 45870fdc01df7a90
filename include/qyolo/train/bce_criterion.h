// The binary cross-entropy criteria of the YOLO losses: BCE-with-logits with a positive weight,
// optionally wrapped in the focal modulation (ultralytics FocalLoss, alpha 0.25).
#pragma once

#include <torch/torch.h>

namespace qyolo::train {

class BceCriterion {
 public:
  // focal_gamma > 0 turns on the focal modulation (hyp fl_gamma).
  explicit BceCriterion(double pos_weight = 1.0, double focal_gamma = 0.0,
                        double focal_alpha = 0.25);

  // Mean loss of logits against targets in [0,1] of the same shape.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& targets) const;

 private:
  double pos_weight_;
  double focal_gamma_;
  double focal_alpha_;
};

// Label-smoothed (positive, negative) BCE targets for smoothing eps (ultralytics smooth_BCE).
std::pair<double, double> smooth_bce_targets(double eps);

}  // namespace qyolo::train
