#include "qyolo/train/ota_loss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace qyolo::train {
namespace {

using torch::indexing::Slice;

// One 8x8 level of stride 8 (64 px input), na anchors of 2x2 cells, zero logits: every candidate
// predicts a 2x2 box centred in its cell.
OtaLoss make_loss(int64_t na) {
  return OtaLoss(
      DetectionLossOptions(config::Hyp{}, 3, torch::full({1, na, 2}, 2.0), torch::tensor({8.f})));
}

// A 2x2-cell target centred at grid (3.25, 3.25): candidates are its cell (3,3) and the left and
// upper neighbours; their IoUs with the target are 0.620 and 0.376 (twice).
torch::Tensor corner_target(float image) {
  return torch::tensor({{image, 1.f, 3.25f / 8, 3.25f / 8, 0.25f, 0.25f}});
}

TEST(OtaLoss, SingleAnchorKeepsOnlyTheBestCell) {
  const std::vector<torch::Tensor> preds{torch::zeros({1, 1, 8, 8, 8})};
  const auto assigned = make_loss(1).assign(preds, corner_target(0), 64);
  ASSERT_EQ(assigned.cls[0].size(0), 1);  // k = floor(0.620 + 2·0.376) = 1
  EXPECT_EQ(assigned.indices[0][2].item<int64_t>(), 3);
  EXPECT_EQ(assigned.indices[0][3].item<int64_t>(), 3);
  EXPECT_EQ(assigned.cls[0].item<int64_t>(), 1);
  EXPECT_TRUE(torch::allclose(assigned.box[0], torch::tensor({{0.25f, 0.25f, 2.f, 2.f}})));
}

TEST(OtaLoss, DynamicKGrowsWithTheSumOfTopIous) {
  const std::vector<torch::Tensor> preds{torch::zeros({1, 3, 8, 8, 8})};
  const auto assigned = make_loss(3).assign(preds, corner_target(0), 64);
  // 9 candidates: k = floor(3·0.620 + 6·0.376) = 4: the three centre-cell anchors and one more.
  ASSERT_EQ(assigned.cls[0].size(0), 4);
  const auto at_centre =
      ((assigned.indices[0][2] == 3) & (assigned.indices[0][3] == 3)).sum().item<int64_t>();
  EXPECT_EQ(at_centre, 3);
}

TEST(OtaLoss, SharedCandidateGoesToTheCheaperTarget) {
  const std::vector<torch::Tensor> preds{torch::zeros({1, 1, 8, 8, 8})};
  // Both targets have cell (3,3) as a candidate; the first is centred on the prediction there
  // (a single candidate), the second has (3,3), (2,3) and (3,2).
  const auto targets = torch::tensor({{0.f, 0.f, 3.5f / 8, 3.5f / 8, 0.25f, 0.25f},
                                      {0.f, 2.f, 3.25f / 8, 3.25f / 8, 0.25f, 0.25f}});
  const auto assigned = make_loss(1).assign(preds, targets, 64);
  // Target 0 (k = ⌊1 + 1 + 2·0.376⌋ = 2) takes both candidate columns at (3,3) — its own and the
  // copy from target 1 —; target 1's cheapest column is one of them and goes to the cheaper
  // target 0, so target 1 keeps nothing.
  ASSERT_EQ(assigned.cls[0].size(0), 2);
  EXPECT_TRUE(torch::equal(assigned.cls[0], torch::zeros({2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(assigned.indices[0][2], torch::full({2}, 3, torch::kLong)));
  EXPECT_TRUE(torch::equal(assigned.indices[0][3], torch::full({2}, 3, torch::kLong)));
  // Both columns are target row 0's, and the ids say so, one per assigned row.
  EXPECT_TRUE(torch::equal(assigned.target_ids[0], torch::zeros({2}, torch::kLong)));
}

TEST(OtaLoss, CandidatesAreTheCellAndItsTwoNearestNeighbours) {
  const std::vector<torch::Tensor> preds{torch::zeros({1, 1, 8, 8, 8})};
  const auto found = make_loss(1).candidates(preds, corner_target(0));
  // Centre (3.25, 3.25): its cell (3,3), the left neighbour (2,3) and the upper one (3,2).
  ASSERT_EQ(found.indices[0][2].size(0), 3);
  std::vector<std::pair<int64_t, int64_t>> cells;
  for (int64_t k = 0; k < 3; ++k) {
    cells.emplace_back(found.indices[0][2][k].item<int64_t>(),
                       found.indices[0][3][k].item<int64_t>());
  }
  std::sort(cells.begin(), cells.end());
  EXPECT_EQ(cells, (std::vector<std::pair<int64_t, int64_t>>{{2, 3}, {3, 2}, {3, 3}}));
}

TEST(OtaLoss, LossUsesTheAssignmentAndBackpropagates) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> preds{(torch::randn({2, 1, 8, 8, 8}) * 0.1).requires_grad_(true)};
  auto loss_fn = make_loss(1);
  const auto out = loss_fn(preds, corner_target(1), 64);
  ASSERT_EQ(out.items.size(0), 3);
  EXPECT_GT(out.items[0].item<double>(), 0);
  EXPECT_GT(out.items[2].item<double>(), 0);
  out.loss.backward();
  // Box/class gradients only at the positive; image 0 only gets objectness gradients.
  EXPECT_EQ(preds[0].grad().index({0, "...", Slice(0, 4)}).abs().sum().item<double>(), 0);
  EXPECT_GT(preds[0].grad().index({1, 0, 3, 3, Slice(0, 4)}).abs().sum().item<double>(), 0);

  const auto none = loss_fn(preds, torch::zeros({0, 6}), 64);
  EXPECT_EQ(none.items[0].item<double>(), 0);
}

}  // namespace
}  // namespace qyolo::train
