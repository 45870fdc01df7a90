#include "qyolo/train/detection_loss.h"

#include "qyolo/geometry/boxes.h"
#include "qyolo/train/bce_criterion.h"

namespace qyolo::train {

using torch::indexing::Slice;

namespace {

// The reference's objectness weights: P3-P5, else P3-P7.
std::vector<double> default_balance(int64_t nl) {
  if (nl == 3) return {4.0, 1.0, 0.4};
  return {4.0, 1.0, 0.25, 0.06, 0.02};
}

}  // namespace

DetectionLoss::DetectionLoss(DetectionLossOptions options)
    : options_(std::move(options)), balance_(default_balance(options_.anchors().size(0))) {
  TORCH_CHECK(options_.anchors().dim() == 3 && options_.anchors().size(2) == 2,
              "DetectionLoss: anchors must be (nl,na,2), got ", options_.anchors().sizes());
  if (options_.autobalance()) {
    const auto stride = options_.stride().to(torch::kCPU);
    stride16_level_ = -1;
    for (int64_t i = 0; i < stride.size(0); ++i)
      if (stride[i].item<double>() == 16.0) stride16_level_ = i;
    TORCH_CHECK(stride16_level_ >= 0, "DetectionLoss: autobalance needs a stride-16 level");
  }
  std::tie(class_positive_, class_negative_) = smooth_bce_targets(options_.hyp().label_smoothing);
}

DetectionTargets DetectionLoss::build_targets(const std::vector<torch::Tensor>& preds,
                                              const torch::Tensor& targets,
                                              const torch::Tensor& target_ids) const {
  const auto& anchors_all = options_.anchors();
  const int64_t nl = anchors_all.size(0);
  const int64_t na = anchors_all.size(1);
  const int64_t nt = targets.size(0);
  // float32 whatever the predictions' dtype, as in ultralytics' build_targets (`gain =
  // torch.ones(7)` and the collated labels are float32). A centre that float32 rounds onto a
  // whole or half cell, where `gxy % 1 < 0.5`, `gxy > 1` and `.long()` change, gets other cells
  // in double; float32 keeps the positives, and so the run, those of train.py.
  const auto labels = targets.to(torch::kFloat);
  const auto fopts = labels.options();
  TORCH_CHECK(static_cast<int64_t>(preds.size()) == nl, "DetectionLoss: ", preds.size(),
              " prediction levels for ", nl, " anchor levels");

  DetectionTargets out;
  // (na,nt,8): each target once per anchor, the anchor index and the target id appended.
  const auto anchor_index = torch::arange(na, fopts).view({na, 1}).repeat({1, nt}).unsqueeze(2);
  const auto ids = target_ids.defined() ? target_ids.to(fopts) : torch::arange(nt, fopts);
  const auto id_column = ids.view({1, nt}).repeat({na, 1}).unsqueeze(2);
  const auto per_anchor =
      torch::cat({labels.unsqueeze(0).repeat({na, 1, 1}), anchor_index, id_column}, 2);

  constexpr double kBias = 0.5;  // a centre this close to a cell edge also claims the neighbour
  const auto offsets_table =
      torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, -1.f, 0.f, 0.f, -1.f}, fopts).view({5, 2}) *
      kBias;

  for (int64_t i = 0; i < nl; ++i) {
    const auto anchors = anchors_all[i].to(fopts);
    const int64_t ny = preds[i].size(2);
    const int64_t nx = preds[i].size(3);
    auto gain = torch::ones({8}, fopts);
    gain.index_put_({Slice(2, 6)}, torch::tensor({static_cast<float>(nx), static_cast<float>(ny),
                                                  static_cast<float>(nx), static_cast<float>(ny)},
                                                 fopts));
    auto t = per_anchor * gain;
    torch::Tensor offsets;
    if (nt) {
      // Keep target-anchor pairs whose width and height ratios are both within anchor_t.
      const auto ratio = t.index({"...", Slice(4, 6)}) / anchors.unsqueeze(1);
      const auto match = std::get<0>(torch::max(ratio, 1 / ratio).max(2)) < options_.hyp().anchor_t;
      t = t.index({match});

      const auto gxy = t.index({Slice(), Slice(2, 4)});
      const auto gxi = gain.index({Slice(2, 4)}) - gxy;
      const auto near_low = ((torch::remainder(gxy, 1) < kBias) & (gxy > 1)).t();
      const auto near_high = ((torch::remainder(gxi, 1) < kBias) & (gxi > 1)).t();
      const auto select = torch::stack(
          {torch::ones_like(near_low[0]), near_low[0], near_low[1], near_high[0], near_high[1]});
      t = t.repeat({5, 1, 1}).index({select});
      offsets = (torch::zeros_like(gxy).unsqueeze(0) + offsets_table.unsqueeze(1)).index({select});
    } else {
      t = per_anchor[0];
      offsets = torch::zeros({0, 2}, fopts);
    }

    const auto image = t.index({Slice(), 0}).to(torch::kLong);
    const auto cls = t.index({Slice(), 1}).to(torch::kLong);
    const auto gxy = t.index({Slice(), Slice(2, 4)});
    const auto gwh = t.index({Slice(), Slice(4, 6)});
    const auto anchor = t.index({Slice(), 6}).to(torch::kLong);
    // Truncation toward zero like Python's .long(); the clamp keeps border cells in range.
    const auto gij = (gxy - offsets).to(torch::kLong);
    const auto gi = gij.index({Slice(), 0}).clamp(0, nx - 1);
    const auto gj = gij.index({Slice(), 1}).clamp(0, ny - 1);

    out.indices.push_back({image, anchor, gj, gi});
    out.box.push_back(torch::cat({gxy - gij, gwh}, 1));
    out.anchors.push_back(anchors.index({anchor}));
    out.cls.push_back(cls);
    out.target_ids.push_back(t.index({Slice(), 7}).to(torch::kLong));
    out.xywhn.push_back(torch::cat({gxy, gwh}, 1) / gain.index({Slice(2, 6)}));
  }
  return out;
}

DetectionTerms DetectionLoss::terms(const std::vector<torch::Tensor>& preds,
                                    const torch::Tensor& targets, const torch::Tensor& target_ids) {
  TORCH_CHECK(!preds.empty(), "DetectionLoss: no predictions");
  return assigned_terms(preds, build_targets(preds, targets.to(preds[0].options()), target_ids));
}

DetectionTerms DetectionLoss::assigned_terms(const std::vector<torch::Tensor>& preds,
                                             DetectionTargets assignment) {
  TORCH_CHECK(!preds.empty(), "DetectionLoss: no predictions");
  const auto& hyp = options_.hyp();
  const int64_t nc = options_.nc();
  const auto fopts = preds[0].options();
  const BceCriterion bce_cls(hyp.cls_pw, hyp.fl_gamma);
  const BceCriterion bce_obj(hyp.obj_pw, hyp.fl_gamma);

  auto lcls = torch::zeros({1}, fopts);
  auto lbox = torch::zeros({1}, fopts);
  auto lobj = torch::zeros({1}, fopts);
  DetectionTerms out;
  out.targets = std::move(assignment);
  const auto& tg = out.targets;

  for (size_t i = 0; i < preds.size(); ++i) {
    const auto& pi = preds[i];
    auto [b, a, gj, gi] = tg.indices[i];
    auto tobj = torch::zeros({pi.size(0), pi.size(1), pi.size(2), pi.size(3)}, fopts);
    const int64_t n = b.size(0);
    const auto ps = pi.index({b, a, gj, gi});
    out.positives.push_back(ps);
    if (n) {
      const auto pxy = ps.index({Slice(), Slice(0, 2)}).sigmoid() * 2 - 0.5;
      const auto pwh = (ps.index({Slice(), Slice(2, 4)}).sigmoid() * 2).pow(2) * tg.anchors[i];
      const auto pbox = torch::cat({pxy, pwh}, 1);
      auto iou = geometry::bbox_iou(pbox, tg.box[i], true, geometry::IouKind::kCIoU).squeeze();
      lbox = lbox + (1.0 - iou).mean();

      iou = iou.detach().clamp_min(0).to(tobj.dtype());
      if (options_.sort_obj_iou()) {
        const auto order = iou.argsort();
        b = b.index({order});
        a = a.index({order});
        gj = gj.index({order});
        gi = gi.index({order});
        iou = iou.index({order});
      }
      if (options_.gr() < 1) iou = (1.0 - options_.gr()) + options_.gr() * iou;
      tobj.index_put_({b, a, gj, gi}, iou);

      // A single class needs no classification loss.
      if (nc > 1) {
        const auto pcls = ps.index({Slice(), Slice(5, 5 + nc)});
        auto t = torch::full_like(pcls, class_negative_);
        t.index_put_({torch::arange(n, b.options()), tg.cls[i]}, class_positive_);
        lcls = lcls + bce_cls(pcls, t);
      }
    }
    const auto obji = bce_obj(pi.index({"...", 4}), tobj);
    lobj = lobj + obji * balance_[i];
    if (options_.autobalance())
      balance_[i] = balance_[i] * 0.9999 + 0.0001 / obji.detach().item<double>();
  }
  if (options_.autobalance()) {
    const double reference = balance_[stride16_level_];
    for (auto& w : balance_) w /= reference;
  }
  out.box = lbox * hyp.box;
  out.obj = lobj * hyp.obj;
  out.cls = lcls * hyp.cls;
  return out;
}

LossOutput DetectionLoss::operator()(const std::vector<torch::Tensor>& preds,
                                     const torch::Tensor& targets) {
  const auto t = terms(preds, targets);
  const auto bs = static_cast<double>(preds[0].size(0));
  return {(t.box + t.obj + t.cls) * bs, torch::cat({t.box, t.obj, t.cls}).detach()};
}

}  // namespace qyolo::train
