// AutoAnchor, as ultralytics yolov5 v7.0 train.py runs it before the first epoch
// (utils/autoanchor.py): how well the model's anchors fit the training labels, and anchors
// evolved from k-means that replace them when they fit poorly.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "qyolo/core/config.h"

namespace qyolo::data {
class Dataset;
}
namespace qyolo::distributed {
class Context;
}
namespace qyolo::nn {
class DetectImpl;
}

namespace qyolo::train {

struct AutoAnchorOptions {
  TORCH_ARG(int64_t, img_size) = 640;  // train.imgsz
  // hyp.anchor_t: a label fits an anchor when neither side is more than anchor_t times larger
  // than the other's.
  TORCH_ARG(double, anchor_t) = 4.0;
  TORCH_ARG(int64_t, generations) = 1000;  // of the genetic evolution after k-means
  TORCH_ARG(uint64_t, seed) = 0;           // train.seed
};

// How well anchors fit label sizes, by the ratio metric min(r, 1/r) of width and height
// (the worse of the two) of every label-anchor pair; above 1/anchor_t is a fit.
struct AnchorFit {
  double bpr = 0;  // best possible recall: the share of labels that fit at least one anchor
  double aat = 0;  // anchors above threshold: anchors a label fits, on average
};

// `wh` (n,2) label sizes, `anchors` (k,2), both in pixels; n > 0.
AnchorFit anchor_fit(const torch::Tensor& wh, const torch::Tensor& anchors, double anchor_t);

// (n,2) pixel sizes of every label of `dataset` at `img_size`: each image's normalised box sizes
// times its original size scaled so the long side is img_size, times image_scales[i] (per image,
// empty: 1).
torch::Tensor label_wh(const data::Dataset& dataset, int64_t img_size,
                       const std::vector<double>& image_scales = {});

// n anchors (n,2) in pixels, sorted by area, for the label sizes `wh` (n,2) (kmean_anchors):
// k-means on the sizes of labels of at least 2 px divided by their standard deviation (the best
// of 30 runs), then options.generations() mutations (probability 0.9, sigma 0.1) of which each
// is kept when it raises the fitness, the mean best ratio metric of the labels that fit.
torch::Tensor kmean_anchors(const torch::Tensor& wh, int64_t n, const AutoAnchorOptions& options);

struct AnchorCheck {
  int64_t labels = 0;                // label sizes checked
  AnchorFit fit;                     // of the model's anchors
  std::optional<AnchorFit> evolved;  // of the k-means anchors, when the fit was 0.98 or less
  bool replaced = false;             // the evolved anchors fit better and are now the model's
};

// check_anchors: the fit of the head's anchors to the labels of `dataset` at a random scale of
// 0.9 to 1.1 per image; at a best possible recall of 0.98 or less, kmean_anchors and, when their
// recall is higher, head.set_anchors. Logged as "AutoAnchor: ..." lines.
AnchorCheck check_anchors(nn::DetectImpl& head, const data::Dataset& dataset,
                          const AutoAnchorOptions& options);

// AutoAnchor of a training run: rank 0 checks the head's anchors at train.imgsz, hyp.anchor_t
// and train.seed; the other ranks receive its anchors.
void check_run_anchors(nn::DetectImpl& head, const data::Dataset& dataset,
                       const config::ExperimentConfig& config, distributed::Context& context);

}  // namespace qyolo::train
