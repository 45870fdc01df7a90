#include "qyolo/eval/masks.h"

#include <gtest/gtest.h>

#include "qyolo/eval/matching.h"
#include "qyolo/geometry/masks.h"

namespace qyolo::eval {
namespace {

using torch::indexing::Slice;

TEST(Masks, ProcessMaskFromPrototypes) {
  // One prototype channel, positive everywhere: the mask is the box scaled to the proto grid.
  auto protos = torch::full({1, 4, 4}, 3.0);
  auto coeffs = torch::tensor({{1.0}, {-1.0}});
  auto boxes = torch::tensor({{0.0, 0.0, 8.0, 8.0}, {0.0, 0.0, 16.0, 16.0}});
  auto masks = process_mask(protos, coeffs, boxes, {16, 16});
  ASSERT_EQ(masks.sizes(), (std::vector<int64_t>{2, 4, 4}));
  EXPECT_EQ(masks[0].sum().item<float>(), 4);  // the top-left 2x2 cells
  EXPECT_EQ(masks[1].sum().item<float>(), 0);  // sigmoid(-3) < 0.5
  auto up = process_mask(protos, coeffs, boxes, {16, 16}, true);
  ASSERT_EQ(up.sizes(), (std::vector<int64_t>{2, 16, 16}));
  auto up2 = process_mask_upsample(protos, coeffs, boxes, {16, 16});
  EXPECT_EQ(up2[0].sum().item<float>(), 64);  // 8x8 pixels of the box
}

TEST(Masks, IouAndMatching) {
  auto gt = torch::zeros({2, 4, 4});
  gt.index_put_({0, Slice(0, 2), Slice(0, 2)}, 1);
  gt.index_put_({1, Slice(2, 4), Slice(2, 4)}, 1);
  auto pred = torch::zeros({2, 4, 4});
  pred.index_put_({0, Slice(0, 2), Slice(0, 2)}, 1);
  pred.index_put_({1, Slice(2, 4), Slice(1, 4)}, 1);  // IoU 4/6 with gt 1
  auto iou = geometry::mask_iou(gt.view({2, -1}), pred.view({2, -1}));
  EXPECT_NEAR(iou[0][0].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(iou[1][1].item<float>(), 4.0 / 6.0, 1e-6);
  auto labels = torch::tensor({{0.0, 0.0, 0.0, 2.0, 2.0}, {1.0, 2.0, 2.0, 4.0, 4.0}});
  auto dets = torch::tensor({{0.0, 0.0, 2.0, 2.0, 0.9, 0.0}, {1.0, 2.0, 4.0, 4.0, 0.8, 1.0}});
  auto correct = process_batch_masks(dets, labels, pred, gt, default_iou_thresholds());
  EXPECT_EQ(correct[0].sum().item<int64_t>(), 10);
  EXPECT_EQ(correct[1].sum().item<int64_t>(), 4);  // 0.50 .. 0.65 <= 0.667
  // Overlap-encoded ground truth gives the same split masks.
  auto overlap = (gt[0] + 2 * gt[1]).unsqueeze(0);
  EXPECT_TRUE(torch::equal(split_overlap_mask(overlap, 2), gt));
}

}  // namespace
}  // namespace qyolo::eval
