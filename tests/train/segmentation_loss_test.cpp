#include "qyolo/train/segmentation_loss.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qyolo::train {
namespace {

using torch::indexing::Slice;

double softplus(double x) { return std::log1p(std::exp(x)); }

// One level 8x8, one anchor of 2x2 cells, nc 2, nm 4, prototypes 16x16 that are 1 in channel 0.
// One target in image 1 centred on a cell corner: five positives, all with mask logit z.
struct SegCase {
  SegCase() {
    preds = {torch::randn({2, 1, 8, 8, 5 + 2 + 4})};
    preds[0].index_put_({"...", Slice(7, 11)}, 0.0);
    preds[0].index_put_({"...", 7}, z);
    proto = torch::zeros({2, 4, 16, 16});
    proto.index_put_({Slice(), 0}, 1.0);
    targets = torch::tensor({{1.f, 0.f, 0.5f, 0.5f, 0.25f, 0.25f}});
  }
  SegmentationLoss make_loss(bool overlap) const {
    return SegmentationLoss(
        DetectionLossOptions(config::Hyp{}, 2, torch::full({1, 1, 2}, 2.0), torch::tensor({8.f})),
        overlap);
  }
  double z = 1.5;
  std::vector<torch::Tensor> preds;
  torch::Tensor proto, targets;
};

TEST(SegmentationLoss, MaskLossIsCroppedAreaNormalisedBce) {
  torch::manual_seed(0);
  SegCase c;
  // Target mask = exactly its box: 16·[0.375, 0.625) = pixels 6..9.
  auto mask = torch::zeros({1, 16, 16});
  mask.index_put_({0, Slice(6, 10), Slice(6, 10)}, 1.0);
  auto loss = c.make_loss(false);
  const auto out = loss(c.preds, c.proto, c.targets, mask);
  ASSERT_EQ(out.items.size(0), 4);
  // In-box BCE of logit z against 1, over the box, divided by the box area: softplus(-z).
  EXPECT_NEAR(out.items[1].item<double>(), softplus(-c.z) * 0.05 / 2, 1e-6);

  // A target mask of zeros costs softplus(z) instead; outside-box pixels never count.
  auto outside = torch::ones({1, 16, 16});
  outside.index_put_({0, Slice(6, 10), Slice(6, 10)}, 0.0);
  const auto wrong = loss(c.preds, c.proto, c.targets, outside);
  EXPECT_NEAR(wrong.items[1].item<double>(), softplus(c.z) * 0.05 / 2, 1e-6);
  // The detection terms do not depend on the masks.
  EXPECT_TRUE(torch::equal(out.items.index({Slice(2, 4)}), wrong.items.index({Slice(2, 4)})));
}

TEST(SegmentationLoss, OverlapMasksSelectTheTargetByItsNumber) {
  torch::manual_seed(0);
  SegCase c;
  auto masks = torch::zeros({2, 32, 32});  // twice the prototype size: nearest downsampling
  masks.index_put_({1, Slice(12, 20), Slice(12, 20)}, 1.0);
  masks.index_put_({0, Slice(0, 8), Slice(0, 8)}, 1.0);  // another image's target 1: ignored
  auto loss = c.make_loss(true);
  const auto out = loss(c.preds, c.proto, c.targets, masks);
  EXPECT_NEAR(out.items[1].item<double>(), softplus(-c.z) * 0.05 / 2, 1e-6);
}

TEST(SegmentationLoss, GradientsReachPrototypesAndCoefficients) {
  torch::manual_seed(0);
  SegCase c;
  c.preds[0].requires_grad_(true);
  c.proto.requires_grad_(true);
  auto mask = torch::zeros({1, 16, 16});
  mask.index_put_({0, Slice(6, 10), Slice(6, 10)}, 1.0);
  auto loss = c.make_loss(false);
  loss(c.preds, c.proto, c.targets, mask).loss.backward();
  EXPECT_GT(c.proto.grad().abs().sum().item<double>(), 0);
  // Only image 1 has targets, and only inside the box does the mask loss count.
  EXPECT_EQ(c.proto.grad()[0].abs().sum().item<double>(), 0);
  EXPECT_EQ(c.proto.grad().index({1, Slice(), 0, 0}).abs().sum().item<double>(), 0);
  EXPECT_GT(c.preds[0].grad().index({"...", Slice(7, 11)}).abs().sum().item<double>(), 0);
}

TEST(SegmentationLoss, OverlapIdsNumberTargetsPerImage) {
  const auto targets = torch::tensor({0.f, 0.f, 1.f, 1.f, 1.f}).view({5, 1}).repeat({1, 6});
  const auto ids = overlap_target_ids(targets, 3);
  EXPECT_TRUE(torch::equal(ids, torch::tensor({1, 2, 1, 2, 3}, torch::kLong)));
}

}  // namespace
}  // namespace qyolo::train
