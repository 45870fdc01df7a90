#include "qyolo/eval/nms.h"

#include <algorithm>
#include <numeric>

#include "qyolo/geometry/boxes.h"

namespace qyolo::eval {

using torch::indexing::Slice;

namespace {

// Offset that separates classes in batched suppression (ultralytics max_wh).
constexpr double kClassOffset = 7680.0;
// At most this many highest-scoring candidates enter NMS per image.
constexpr int64_t kMaxNmsCandidates = 30000;

// Greedy suppression over boxes already sorted by decreasing score, restricted to the rows in
// `order` (ascending). Appends the kept rows to `keep`.
template <typename scalar_t>
void greedy_suppress(const scalar_t* boxes, const std::vector<int64_t>& order, double threshold,
                     std::vector<int64_t>& keep) {
  const size_t n = order.size();
  std::vector<scalar_t> x1(n), y1(n), x2(n), y2(n), area(n);
  for (size_t k = 0; k < n; ++k) {
    const scalar_t* b = boxes + 4 * order[k];
    x1[k] = b[0];
    y1[k] = b[1];
    x2[k] = b[2];
    y2[k] = b[3];
    area[k] = (b[2] - b[0]) * (b[3] - b[1]);
  }
  std::vector<uint8_t> suppressed(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (suppressed[i]) {
      continue;
    }
    keep.push_back(order[i]);
    const scalar_t ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
    for (size_t j = i + 1; j < n; ++j) {
      if (suppressed[j]) {
        continue;
      }
      const scalar_t w = std::max(scalar_t(0), std::min(ix2, x2[j]) - std::max(ix1, x1[j]));
      const scalar_t h = std::max(scalar_t(0), std::min(iy2, y2[j]) - std::max(iy1, y1[j]));
      const scalar_t inter = w * h;
      const scalar_t iou = inter / (iarea + area[j] - inter);
      suppressed[j] = static_cast<double>(iou) > threshold;
    }
  }
}

// Runs greedy suppression per group (groups never overlap in the reference's offset space, so
// splitting them only skips comparisons whose IoU would be 0) and merges kept rows by score.
torch::Tensor suppress_sorted(const torch::Tensor& boxes_sorted, const std::vector<int64_t>& group,
                              double threshold) {
  auto boxes = boxes_sorted.to(torch::kCPU).contiguous();
  std::vector<std::vector<int64_t>> members;
  std::unordered_map<int64_t, size_t> slot;
  for (int64_t i = 0; i < static_cast<int64_t>(group.size()); ++i) {
    auto [it, added] = slot.emplace(group[i], members.size());
    if (added) {
      members.emplace_back();
    }
    members[it->second].push_back(i);
  }
  std::vector<int64_t> keep;
  AT_DISPATCH_FLOATING_TYPES(boxes.scalar_type(), "greedy_suppress", [&] {
    for (const auto& order : members) {
      greedy_suppress(boxes.data_ptr<scalar_t>(), order, threshold, keep);
    }
  });
  std::sort(keep.begin(), keep.end());
  return torch::tensor(keep, torch::kLong);
}

}  // namespace

torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  return batched_nms(boxes, scores, torch::zeros({boxes.size(0)}, torch::kLong), iou_threshold);
}

torch::Tensor batched_nms(const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& groups, double iou_threshold) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "nms: boxes must be (n,4)");
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), "nms: scores must be (n,)");
  if (boxes.size(0) == 0) {
    return torch::empty({0}, boxes.options().dtype(torch::kLong));
  }
  auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  auto group_cpu = groups.index({order}).to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> group(group_cpu.data_ptr<int64_t>(),
                             group_cpu.data_ptr<int64_t>() + group_cpu.numel());
  auto kept = suppress_sorted(boxes.index({order}), group, iou_threshold);
  return order.index({kept.to(order.device())});
}

std::vector<torch::Tensor> non_max_suppression(const torch::Tensor& prediction,
                                               const NmsOptions& options,
                                               const std::vector<torch::Tensor>& apriori_labels) {
  TORCH_CHECK(prediction.dim() == 3, "non_max_suppression: prediction must be (bs,n,no)");
  TORCH_CHECK(options.conf_thres() >= 0 && options.conf_thres() <= 1,
              "non_max_suppression: conf_thres must be in [0,1], got ", options.conf_thres());
  TORCH_CHECK(options.iou_thres() >= 0 && options.iou_thres() <= 1,
              "non_max_suppression: iou_thres must be in [0,1], got ", options.iou_thres());
  const int64_t bs = prediction.size(0);
  const int64_t nm = options.num_masks();
  const int64_t nc = prediction.size(2) - nm - 5;
  TORCH_CHECK(nc >= 1, "non_max_suppression: no class columns in prediction");
  const int64_t mask_start = 5 + nc;
  const bool multi_label = options.multi_label() && nc > 1;
  auto candidates = prediction.select(2, 4) > options.conf_thres();

  std::vector<torch::Tensor> output;
  output.reserve(bs);
  for (int64_t b = 0; b < bs; ++b) {
    auto x = prediction[b].index({candidates[b]});
    if (b < static_cast<int64_t>(apriori_labels.size()) && apriori_labels[b].size(0) > 0) {
      const auto& lb = apriori_labels[b].to(x.device(), x.scalar_type());
      auto v = torch::zeros({lb.size(0), prediction.size(2)}, x.options());
      v.index_put_({Slice(), Slice(0, 4)}, lb.index({Slice(), Slice(1, 5)}));
      v.index_put_({Slice(), 4}, 1.0);
      v.index_put_({torch::arange(lb.size(0), x.options().dtype(torch::kLong)),
                    lb.select(1, 0).to(torch::kLong) + 5},
                   1.0);
      x = torch::cat({x, v}, 0);
    }
    if (x.size(0) == 0) {
      output.push_back(torch::zeros({0, 6 + nm}, prediction.options()));
      continue;
    }
    // conf = obj * cls. The reference scales every column after obj, the mask coefficients
    // included; seg parity depends on reproducing that.
    x.index({Slice(), Slice(5, torch::indexing::None)}).mul_(x.index({Slice(), Slice(4, 5)}));
    auto box = geometry::xywh2xyxy(x.index({Slice(), Slice(0, 4)}));
    auto mask = x.index({Slice(), Slice(mask_start, torch::indexing::None)});
    auto cls_conf = x.index({Slice(), Slice(5, mask_start)});
    if (multi_label) {
      auto ij = (cls_conf > options.conf_thres()).nonzero();
      auto i = ij.select(1, 0), j = ij.select(1, 1);
      x = torch::cat({box.index({i}), cls_conf.index({i, j}).unsqueeze(1),
                      j.unsqueeze(1).to(x.scalar_type()), mask.index({i})},
                     1);
    } else {
      auto [conf, j] = cls_conf.max(1, /*keepdim=*/true);
      x = torch::cat({box, conf, j.to(x.scalar_type()), mask}, 1)
              .index({conf.view(-1) > options.conf_thres()});
    }
    if (!options.classes().empty()) {
      auto wanted = torch::tensor(options.classes(), x.options());
      x = x.index({(x.index({Slice(), Slice(5, 6)}) == wanted).any(1)});
    }
    const int64_t n = x.size(0);
    if (n == 0) {
      output.push_back(torch::zeros({0, 6 + nm}, prediction.options()));
      continue;
    }
    auto order = std::get<1>(x.select(1, 4).sort(/*stable=*/true, 0, /*descending=*/true));
    x = x.index({order.index({Slice(0, std::min(n, kMaxNmsCandidates))})});

    // Classes are separated by an offset in coordinate space; the kernel sees the offset boxes
    // (float rounding included) exactly as the reference does.
    auto cls = x.index({Slice(), Slice(5, 6)});
    auto offset_boxes =
        x.index({Slice(), Slice(0, 4)}) + cls * (options.agnostic() ? 0.0 : kClassOffset);
    auto cls_cpu = cls.view(-1).to(torch::kCPU, torch::kLong).contiguous();
    std::vector<int64_t> group(x.size(0), 0);
    // Splitting by class is exact only when the offset separates every pair of classes, i.e. the
    // whole coordinate span is below it; otherwise one group.
    auto coords = x.index({Slice(), Slice(0, 4)});
    const bool separable =
        !options.agnostic() && (coords.max() - coords.min()).item<double>() < kClassOffset;
    if (separable) {
      std::copy(cls_cpu.data_ptr<int64_t>(), cls_cpu.data_ptr<int64_t>() + cls_cpu.numel(),
                group.begin());
    }
    auto kept = suppress_sorted(offset_boxes, group, options.iou_thres());
    if (kept.size(0) > options.max_det()) {
      kept = kept.index({Slice(0, options.max_det())});
    }
    output.push_back(x.index({kept.to(x.device())}));
  }
  return output;
}

}  // namespace qyolo::eval
