#include "qyolo/train/segmentation_loss.h"

#include "qyolo/geometry/boxes.h"
#include "qyolo/geometry/masks.h"

namespace qyolo::train {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

torch::Tensor overlap_target_ids(const torch::Tensor& targets, int64_t batch_size) {
  std::vector<torch::Tensor> ids;
  const auto image = targets.index({Slice(), 0});
  for (int64_t i = 0; i < batch_size; ++i) {
    const auto count = (image == i).sum().item<int64_t>();
    ids.push_back(torch::arange(1, count + 1, targets.options().dtype(torch::kLong)));
  }
  return torch::cat(ids);
}

SegmentationLoss::SegmentationLoss(DetectionLossOptions options, bool overlap)
    : detection_(std::move(options)), overlap_(overlap) {}

LossOutput SegmentationLoss::operator()(const std::vector<torch::Tensor>& preds,
                                        const torch::Tensor& proto, const torch::Tensor& targets,
                                        const torch::Tensor& masks) {
  const int64_t bs = proto.size(0);
  const int64_t nm = proto.size(1);
  const int64_t mask_h = proto.size(2);
  const int64_t mask_w = proto.size(3);
  const int64_t nc = detection_.options().nc();
  const auto fopts = proto.options();

  const auto ids = overlap_ ? overlap_target_ids(targets, bs) : torch::Tensor();
  const auto terms = detection_.terms(preds, targets, ids);
  const auto& tg = terms.targets;

  auto gt_masks = masks.to(fopts);
  if (gt_masks.size(-2) != mask_h || gt_masks.size(-1) != mask_w)
    gt_masks = F::interpolate(gt_masks.unsqueeze(0), F::InterpolateFuncOptions()
                                                         .size(std::vector<int64_t>{mask_h, mask_w})
                                                         .mode(torch::kNearest))[0];
  const auto mask_scale = torch::tensor({static_cast<float>(mask_w), static_cast<float>(mask_h),
                                         static_cast<float>(mask_w), static_cast<float>(mask_h)},
                                        fopts);

  auto lseg = torch::zeros({1}, fopts);
  for (size_t i = 0; i < preds.size(); ++i) {
    const auto& b = tg.indices[i][0];
    if (b.size(0) == 0) continue;
    const auto pmask = terms.positives[i].index({Slice(), Slice(5 + nc, 5 + nc + nm)});
    const auto area = tg.xywhn[i].index({Slice(), Slice(2, 4)}).prod(1);
    const auto box = geometry::xywh2xyxy(tg.xywhn[i] * mask_scale);
    for (const auto& bi : std::get<0>(torch::_unique(b)).unbind()) {
      const auto sel = b == bi;
      const auto image = bi.item<int64_t>();
      const auto sel_ids = tg.target_ids[i].index({sel});
      const auto gt =
          overlap_ ? (gt_masks[image].unsqueeze(0) == sel_ids.view({-1, 1, 1})).to(fopts.dtype())
                   : gt_masks.index({sel_ids});
      // Mask logits of this image's positives: (n,nm) @ (nm,mh·mw).
      const auto logits =
          pmask.index({sel}).matmul(proto[image].view({nm, -1})).view({-1, mask_h, mask_w});
      const auto bce = F::binary_cross_entropy_with_logits(
          logits, gt, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
      lseg = lseg +
             (geometry::crop_mask(bce, box.index({sel})).mean({1, 2}) / area.index({sel})).mean();
    }
  }
  lseg = lseg * (detection_.options().hyp().box / static_cast<double>(bs));
  const auto total = terms.box + terms.obj + terms.cls + lseg;
  return {total * static_cast<double>(bs),
          torch::cat({terms.box, lseg, terms.obj, terms.cls}).detach()};
}

}  // namespace qyolo::train
