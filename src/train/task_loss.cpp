#include "qyolo/train/task_loss.h"

#include "qyolo/core/error.h"

namespace qyolo::train {

namespace {

std::variant<DetectionLoss, OtaLoss, SegmentationLoss> loss_for(const nn::ModelImpl& model,
                                                                const config::Hyp& hyp,
                                                                bool overlap_masks) {
  DetectionLossOptions options(hyp, model.nc(), model.anchors().detach().clone(),
                               model.stride().detach().clone());
  switch (model.head_kind()) {
    case nn::HeadKind::kSegment:
      return SegmentationLoss(options, overlap_masks);
    case nn::HeadKind::kIDetect:
      if (hyp.loss_ota == 1.0) return OtaLoss(options);
      return DetectionLoss(options);
    case nn::HeadKind::kDetect:
      break;
  }
  return DetectionLoss(options);
}

}  // namespace

TaskLoss::TaskLoss(const nn::ModelImpl& model, const config::Hyp& hyp, bool overlap_masks)
    : loss_(loss_for(model, hyp, overlap_masks)) {}

LossOutput TaskLoss::operator()(const nn::ModelOutput& output, const torch::Tensor& images,
                                const torch::Tensor& targets, const torch::Tensor& masks) {
  if (auto* detection = std::get_if<DetectionLoss>(&loss_))
    return (*detection)(output.raw, targets);
  if (auto* ota = std::get_if<OtaLoss>(&loss_)) return (*ota)(output.raw, targets, images.size(2));
  if (!masks.defined())
    throw Error("segmentation training needs instance masks, but the batch has none");
  return std::get<SegmentationLoss>(loss_)(output.raw, output.proto, targets, masks);
}

std::vector<std::string> TaskLoss::item_names() const {
  if (std::holds_alternative<SegmentationLoss>(loss_)) return {"box", "seg", "obj", "cls"};
  return {"box", "obj", "cls"};
}

}  // namespace qyolo::train
