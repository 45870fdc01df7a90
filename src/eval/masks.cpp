#include "qyolo/eval/masks.h"

#include "qyolo/eval/matching.h"
#include "qyolo/geometry/masks.h"

namespace qyolo::eval {

namespace F = torch::nn::functional;

namespace {

torch::Tensor mask_logits_to_probabilities(const torch::Tensor& protos,
                                           const torch::Tensor& coefficients) {
  const int64_t c = protos.size(0), mh = protos.size(1), mw = protos.size(2);
  return coefficients.matmul(protos.to(torch::kFloat).view({c, -1})).sigmoid().view({-1, mh, mw});
}

torch::Tensor upsample_to(const torch::Tensor& masks, std::array<int64_t, 2> hw) {
  return F::interpolate(masks.unsqueeze(0), F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{hw[0], hw[1]})
                                                .mode(torch::kBilinear)
                                                .align_corners(false))[0];
}

}  // namespace

torch::Tensor process_mask(const torch::Tensor& protos, const torch::Tensor& coefficients,
                           const torch::Tensor& boxes, std::array<int64_t, 2> image_hw,
                           bool upsample) {
  const int64_t mh = protos.size(1), mw = protos.size(2);
  auto masks = mask_logits_to_probabilities(protos, coefficients);
  auto scaled = boxes.clone();
  const double sx = static_cast<double>(mw) / image_hw[1],
               sy = static_cast<double>(mh) / image_hw[0];
  scaled.select(1, 0).mul_(sx);
  scaled.select(1, 2).mul_(sx);
  scaled.select(1, 3).mul_(sy);
  scaled.select(1, 1).mul_(sy);
  masks = geometry::crop_mask(masks, scaled);
  if (upsample) {
    masks = upsample_to(masks, image_hw);
  }
  return masks.gt_(0.5);
}

torch::Tensor process_mask_upsample(const torch::Tensor& protos, const torch::Tensor& coefficients,
                                    const torch::Tensor& boxes, std::array<int64_t, 2> image_hw) {
  auto masks = upsample_to(mask_logits_to_probabilities(protos, coefficients), image_hw);
  return geometry::crop_mask(masks, boxes).gt_(0.5);
}

torch::Tensor split_overlap_mask(const torch::Tensor& overlap_mask, int64_t num_labels) {
  auto index = torch::arange(1, num_labels + 1, overlap_mask.options()).view({num_labels, 1, 1});
  auto repeated = overlap_mask.repeat({num_labels, 1, 1});
  return torch::where(repeated == index, torch::ones_like(repeated), torch::zeros_like(repeated))
      .to(torch::kFloat);
}

torch::Tensor process_batch_masks(const torch::Tensor& detections, const torch::Tensor& labels,
                                  const torch::Tensor& pred_masks, const torch::Tensor& gt_masks_in,
                                  const torch::Tensor& iou_thresholds) {
  auto gt_masks = gt_masks_in.to(torch::kFloat);
  if (gt_masks.sizes().slice(1) != pred_masks.sizes().slice(1)) {
    gt_masks = upsample_to(gt_masks, {pred_masks.size(1), pred_masks.size(2)}).gt_(0.5);
  }
  auto iou = geometry::mask_iou(gt_masks.view({gt_masks.size(0), -1}),
                                pred_masks.to(torch::kFloat).view({pred_masks.size(0), -1}));
  return match_predictions(iou, labels.select(1, 0), detections.select(1, 5), iou_thresholds);
}

}  // namespace qyolo::eval
