#include "qyolo/train/bce_criterion.h"

namespace qyolo::train {

namespace F = torch::nn::functional;

BceCriterion::BceCriterion(double pos_weight, double focal_gamma, double focal_alpha)
    : pos_weight_(pos_weight), focal_gamma_(focal_gamma), focal_alpha_(focal_alpha) {}

torch::Tensor BceCriterion::operator()(const torch::Tensor& logits,
                                       const torch::Tensor& targets) const {
  auto options = F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(
      torch::full({1}, pos_weight_, logits.options()));
  if (focal_gamma_ <= 0) return F::binary_cross_entropy_with_logits(logits, targets, options);

  auto loss = F::binary_cross_entropy_with_logits(logits, targets, options.reduction(torch::kNone));
  const auto prob = logits.sigmoid();
  const auto p_t = targets * prob + (1 - targets) * (1 - prob);
  const auto alpha_factor = targets * focal_alpha_ + (1 - targets) * (1 - focal_alpha_);
  const auto modulating_factor = (1.0 - p_t).pow(focal_gamma_);
  return (loss * alpha_factor * modulating_factor).mean();
}

std::pair<double, double> smooth_bce_targets(double eps) { return {1.0 - 0.5 * eps, 0.5 * eps}; }

}  // namespace qyolo::train
