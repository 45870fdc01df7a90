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

config::Hyp scale_loss_gains(const config::Hyp& hyp, int64_t nc, int64_t nl, int64_t imgsz) {
  TORCH_CHECK(nc > 0 && nl > 0 && imgsz > 0, "loss gains: nc, nl and imgsz must be positive (got ",
              nc, ", ", nl, ", ", imgsz, ")");
  config::Hyp scaled = hyp;
  const double layers = 3.0 / static_cast<double>(nl);
  const double size = static_cast<double>(imgsz) / 640.0;
  scaled.box *= layers;
  scaled.cls *= static_cast<double>(nc) / 80.0 * layers;
  scaled.obj *= size * size * layers;
  return scaled;
}

TaskLoss::TaskLoss(const nn::ModelImpl& model, const config::Hyp& hyp, int64_t imgsz,
                   bool overlap_masks)
    : loss_(loss_for(model, scale_loss_gains(hyp, model.nc(), model.nl(), imgsz), overlap_masks)) {}

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
