#include "qyolo/train/ota_loss.h"

#include <algorithm>

#include "qyolo/geometry/boxes.h"

namespace qyolo::train {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

OtaLoss::OtaLoss(DetectionLossOptions options) : detection_(std::move(options)) {}

DetectionTargets OtaLoss::candidates(const std::vector<torch::Tensor>& preds,
                                     const torch::Tensor& targets) const {
  return detection_.build_targets(preds, targets.to(preds[0].options()));
}

DetectionTargets OtaLoss::assign(const std::vector<torch::Tensor>& preds,
                                 const torch::Tensor& targets, int64_t image_size) const {
  torch::NoGradGuard no_grad;  // the matching only selects; no gradient flows through it
  const auto fopts = preds[0].options();
  const auto long_opts = fopts.dtype(torch::kLong);
  const auto all_targets = targets.to(fopts);
  const auto candidate = candidates(preds, all_targets);
  const auto stride = detection_.options().stride().to(fopts);
  const int64_t nl = static_cast<int64_t>(preds.size());
  const int64_t nc = detection_.options().nc();
  const int64_t bs = preds[0].size(0);

  // Per level, per image: matched b, a, gj, gi, target rows, anchors.
  std::vector<std::vector<torch::Tensor>> mb(nl), ma(nl), mgj(nl), mgi(nl), mt(nl), manch(nl),
      mid(nl);
  for (int64_t image = 0; image < bs; ++image) {
    const auto rows = (all_targets.index({Slice(), 0}) == image).nonzero().squeeze(1);
    const auto this_target = all_targets.index({rows});
    const int64_t num_gt = this_target.size(0);
    if (num_gt == 0) continue;
    const auto txyxy = geometry::xywh2xyxy(this_target.index({Slice(), Slice(2, 6)}) * image_size);

    std::vector<torch::Tensor> pxyxys, p_cls, p_obj, layer, all_b, all_a, all_gj, all_gi, all_anch;
    for (int64_t i = 0; i < nl; ++i) {
      const auto& idx = candidate.indices[i];
      const auto sel = idx[0] == image;
      const auto b = idx[0].index({sel}), a = idx[1].index({sel});
      const auto gj = idx[2].index({sel}), gi = idx[3].index({sel});
      const auto anch = candidate.anchors[i].index({sel});
      const auto fg = preds[i].index({b, a, gj, gi});
      p_obj.push_back(fg.index({Slice(), Slice(4, 5)}));
      p_cls.push_back(fg.index({Slice(), Slice(5, 5 + nc)}));
      const auto grid = torch::stack({gi, gj}, 1).to(fopts);
      const auto pxy = (fg.index({Slice(), Slice(0, 2)}).sigmoid() * 2 - 0.5 + grid) * stride[i];
      const auto pwh = (fg.index({Slice(), Slice(2, 4)}).sigmoid() * 2).pow(2) * anch * stride[i];
      pxyxys.push_back(geometry::xywh2xyxy(torch::cat({pxy, pwh}, 1)));
      layer.push_back(torch::full({b.size(0)}, i, long_opts));
      all_b.push_back(b);
      all_a.push_back(a);
      all_gj.push_back(gj);
      all_gi.push_back(gi);
      all_anch.push_back(anch);
    }
    const auto pxyxy = torch::cat(pxyxys);
    const int64_t m = pxyxy.size(0);
    if (m == 0) continue;

    // The reference's box_iou has no eps in the union.
    const auto iou = geometry::box_iou(txyxy, pxyxy, 0.0);
    const auto iou_cost = -torch::log(iou + 1e-8);
    const auto top = std::get<0>(torch::topk(iou, std::min<int64_t>(10, m), 1));
    const auto dynamic_k = top.sum(1).to(torch::kInt).clamp_min(1);

    const auto gt_cls = F::one_hot(this_target.index({Slice(), 1}).to(torch::kLong), nc)
                            .to(fopts.dtype())
                            .unsqueeze(1)
                            .repeat({1, m, 1});
    const auto score = (torch::cat(p_cls).unsqueeze(0).repeat({num_gt, 1, 1}).sigmoid() *
                        torch::cat(p_obj).unsqueeze(0).repeat({num_gt, 1, 1}).sigmoid())
                           .sqrt();
    const auto cls_cost = F::binary_cross_entropy_with_logits(
                              torch::log(score / (1 - score)), gt_cls,
                              F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                              .sum(-1);
    const auto cost = cls_cost + 3.0 * iou_cost;

    auto matching = torch::zeros_like(cost);
    for (int64_t g = 0; g < num_gt; ++g) {
      const auto k = dynamic_k[g].item<int64_t>();
      const auto pos = std::get<1>(torch::topk(cost[g], k, -1, /*largest=*/false));
      matching[g].index_put_({pos}, 1.0);
    }
    const auto claimed_twice = matching.sum(0) > 1;
    if (claimed_twice.any().item<bool>()) {
      const auto cheapest = std::get<1>(cost.index({Slice(), claimed_twice}).min(0));
      matching.index_put_({Slice(), claimed_twice}, 0.0);
      const auto columns = claimed_twice.nonzero().squeeze(1);
      matching.index_put_({cheapest, columns}, 1.0);
    }
    const auto foreground = matching.sum(0) > 0;
    const auto matched_gt = matching.index({Slice(), foreground}).argmax(0);
    const auto from_layer = torch::cat(layer).index({foreground});
    const auto b = torch::cat(all_b).index({foreground});
    const auto a = torch::cat(all_a).index({foreground});
    const auto gj = torch::cat(all_gj).index({foreground});
    const auto gi = torch::cat(all_gi).index({foreground});
    const auto anch = torch::cat(all_anch).index({foreground});
    const auto matched = this_target.index({matched_gt});
    const auto matched_rows = rows.index({matched_gt});
    for (int64_t i = 0; i < nl; ++i) {
      const auto in_layer = from_layer == i;
      mb[i].push_back(b.index({in_layer}));
      ma[i].push_back(a.index({in_layer}));
      mgj[i].push_back(gj.index({in_layer}));
      mgi[i].push_back(gi.index({in_layer}));
      mt[i].push_back(matched.index({in_layer}));
      manch[i].push_back(anch.index({in_layer}));
      mid[i].push_back(matched_rows.index({in_layer}));
    }
  }

  DetectionTargets out;
  for (int64_t i = 0; i < nl; ++i) {
    auto cat_or_empty = [&](const std::vector<torch::Tensor>& parts, torch::Tensor empty) {
      return parts.empty() ? empty : torch::cat(parts);
    };
    const auto empty_index = torch::zeros({0}, long_opts);
    const auto b = cat_or_empty(mb[i], empty_index), a = cat_or_empty(ma[i], empty_index);
    const auto gj = cat_or_empty(mgj[i], empty_index), gi = cat_or_empty(mgi[i], empty_index);
    const auto t = cat_or_empty(mt[i], torch::zeros({0, 6}, fopts));
    const int64_t ny = preds[i].size(2), nx = preds[i].size(3);
    const auto gain = torch::tensor({static_cast<float>(nx), static_cast<float>(ny),
                                     static_cast<float>(nx), static_cast<float>(ny)},
                                    fopts);
    auto box = t.index({Slice(), Slice(2, 6)}) * gain;
    box.index({Slice(), Slice(0, 2)}) -= torch::stack({gi, gj}, 1).to(fopts);
    out.indices.push_back({b, a, gj, gi});
    out.box.push_back(box);
    out.cls.push_back(t.index({Slice(), 1}).to(torch::kLong));
    out.anchors.push_back(cat_or_empty(manch[i], torch::zeros({0, 2}, fopts)));
    out.target_ids.push_back(cat_or_empty(mid[i], empty_index));
    out.xywhn.push_back(t.index({Slice(), Slice(2, 6)}));
  }
  return out;
}

LossOutput OtaLoss::operator()(const std::vector<torch::Tensor>& preds,
                               const torch::Tensor& targets, int64_t image_size) {
  const auto t = detection_.assigned_terms(preds, assign(preds, targets, image_size));
  const auto bs = static_cast<double>(preds[0].size(0));
  return {(t.box + t.obj + t.cls) * bs, torch::cat({t.box, t.obj, t.cls}).detach()};
}

}  // namespace qyolo::train
