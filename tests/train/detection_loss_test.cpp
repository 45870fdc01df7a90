#include "qyolo/train/detection_loss.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::train {
namespace {

std::vector<torch::Tensor> tensors(const c10::IValue& list) {
  std::vector<torch::Tensor> out;
  for (const auto& v : list.toListRef()) out.push_back(v.toTensor());
  return out;
}

config::Hyp hyp_from(const c10::impl::GenericDict& used) {
  config::Hyp hyp;
  auto get = [&](const char* key, double fallback) {
    return used.contains(key) ? used.at(key).toDouble() : fallback;
  };
  hyp.box = get("box", hyp.box);
  hyp.obj = get("obj", hyp.obj);
  hyp.cls = get("cls", hyp.cls);
  hyp.cls_pw = get("cls_pw", hyp.cls_pw);
  hyp.obj_pw = get("obj_pw", hyp.obj_pw);
  hyp.anchor_t = get("anchor_t", hyp.anchor_t);
  hyp.fl_gamma = get("fl_gamma", hyp.fl_gamma);
  hyp.label_smoothing = get("label_smoothing", hyp.label_smoothing);
  return hyp;
}

class DetectionLossFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = test::load_pickle(test::fixtures_dir() / "v5_loss.pt").toGenericDict();
    preds_ = tensors(fixture_.at("preds"));
    targets_ = fixture_.at("targets").toTensor();
    anchors_ = fixture_.at("anchors").toTensor();
    stride_ = fixture_.at("stride").toTensor();
  }
  DetectionLoss make_loss() const {
    const auto nc = preds_[0].size(4) - 5;
    return DetectionLoss(DetectionLossOptions(hyp_from(fixture_.at("hyp_used").toGenericDict()), nc,
                                              anchors_, stride_));
  }

  c10::impl::GenericDict fixture_{c10::AnyType::get(), c10::AnyType::get()};
  std::vector<torch::Tensor> preds_;
  torch::Tensor targets_, anchors_, stride_;
};

TEST_F(DetectionLossFixture, BuildTargetsMatchesReference) {
  const auto expected = fixture_.at("build_targets").toGenericDict();
  const auto tcls = tensors(expected.at("tcls"));
  const auto tbox = tensors(expected.at("tbox"));
  const auto anch = tensors(expected.at("anch"));
  const auto indices = expected.at("indices").toListRef();

  const auto got = make_loss().build_targets(preds_, targets_);
  ASSERT_EQ(got.cls.size(), 3u);
  const std::vector<int64_t> counts{57, 37, 12};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("level " + std::to_string(i));
    EXPECT_EQ(got.cls[i].size(0), counts[i]);
    EXPECT_TRUE(torch::equal(got.cls[i], tcls[i]));
    const auto ref_index = tensors(indices[i]);
    for (size_t k = 0; k < 4; ++k) EXPECT_TRUE(torch::equal(got.indices[i][k], ref_index[k])) << k;
    EXPECT_TRUE(torch::allclose(got.box[i], tbox[i], 0, 1e-5));
    EXPECT_TRUE(torch::allclose(got.anchors[i], anch[i], 0, 1e-5));
  }
}

TEST_F(DetectionLossFixture, LossItemsAndGradientsMatchReference) {
  for (auto& p : preds_) p.requires_grad_(true);
  auto loss_fn = make_loss();
  const auto out = loss_fn(preds_, targets_);
  const auto ref_loss = fixture_.at("loss").toTensor();
  const auto ref_items = fixture_.at("loss_items").toTensor();
  EXPECT_TRUE(torch::allclose(out.loss, ref_loss, 1e-5, 0)) << out.loss << " vs " << ref_loss;
  EXPECT_TRUE(torch::allclose(out.items, ref_items, 0, 1e-6)) << out.items << " vs " << ref_items;
  EXPECT_FALSE(out.items.requires_grad());

  out.loss.sum().backward();
  const auto grads = tensors(fixture_.at("grads"));
  for (size_t i = 0; i < preds_.size(); ++i) {
    const double diff = (preds_[i].grad() - grads[i]).abs().max().item<double>();
    EXPECT_LT(diff, 1e-6) << "level " << i;
  }
}

TEST_F(DetectionLossFixture, NoTargetsGivesOnlyObjectnessLoss) {
  auto loss_fn = make_loss();
  const auto out = loss_fn(preds_, torch::zeros({0, 6}));
  EXPECT_EQ(out.items[0].item<double>(), 0.0);
  EXPECT_EQ(out.items[2].item<double>(), 0.0);
  EXPECT_GT(out.items[1].item<double>(), 0.0);
  // Every cell's objectness target is 0: the loss is the balanced mean of softplus(logit).
  double expected = 0;
  const std::vector<double> balance{4.0, 1.0, 0.4};
  for (size_t i = 0; i < 3; ++i)
    expected += balance[i] *
                torch::nn::functional::softplus(preds_[i].index({"...", 4})).mean().item<double>();
  EXPECT_NEAR(out.items[1].item<double>(), expected, 1e-6);
}

TEST_F(DetectionLossFixture, LabelSmoothingAndFocalChangeClassLoss) {
  auto hyp = hyp_from(fixture_.at("hyp_used").toGenericDict());
  const auto nc = preds_[0].size(4) - 5;
  const auto base = make_loss()(preds_, targets_).items;
  hyp.label_smoothing = 0.1;
  const auto smoothed =
      DetectionLoss(DetectionLossOptions(hyp, nc, anchors_, stride_))(preds_, targets_).items;
  EXPECT_NE(smoothed[2].item<double>(), base[2].item<double>());
  EXPECT_EQ(smoothed[0].item<double>(), base[0].item<double>());
  hyp.label_smoothing = 0;
  hyp.fl_gamma = 1.5;
  const auto focal =
      DetectionLoss(DetectionLossOptions(hyp, nc, anchors_, stride_))(preds_, targets_).items;
  // The focal factor (<1) shrinks both BCE terms.
  EXPECT_LT(focal[2].item<double>(), base[2].item<double>());
  EXPECT_LT(focal[1].item<double>(), base[1].item<double>());
}

TEST_F(DetectionLossFixture, AutobalanceNormalisesToStride16) {
  auto loss_fn =
      DetectionLoss(DetectionLossOptions(hyp_from(fixture_.at("hyp_used").toGenericDict()),
                                         preds_[0].size(4) - 5, anchors_, stride_)
                        .autobalance(true));
  loss_fn(preds_, targets_);
  EXPECT_DOUBLE_EQ(loss_fn.balance()[1], 1.0);
  EXPECT_NE(loss_fn.balance()[0], 4.0);
}

// A centre on a cell edge in float32 but not in double. ultralytics yolov5 v7.0 utils/loss.py
// build_targets computes gxy = targets · gain in float32 and takes the neighbours
// (gxy % 1 < 0.5) & (gxy > 1) and (gxi % 1 < 0.5) & (gxi > 1) with gxi = gain − gxy, then the
// cells (gxy − offsets).long(). On a 20x20 level, x = 0.7f = 11744051 / 2^24:
// - float32: x · 20 = 13.99999976158142 rounds to 14 (float32 spacing in [8,16) is 2^-20, and
//   14 is 2.4e-7 away), so gx % 1 = 0 claims x−1 and gxi = 6, 6 % 1 = 0 claims x+1: cells
//   14 (centre), 13 (x−1), 14 (x+1);
// - double: gx = 13.99999976 has gx % 1 = 0.99999976 (no x−1), gxi = 6.00000024 claims x+1:
//   cells 13 (centre) and 14.
// y = 0.5 gives gy = 10 exactly in both, so every x cell also gets its y−1 and y+1 neighbours.
TEST(DetectionLoss, CellEdgeCentreGetsTheFloat32Assignment) {
  static_assert(0.7f * 20.0f == 14.0f, "float32 product on the cell edge");
  static_assert(static_cast<double>(0.7f) * 20.0 < 14.0, "double product below it");
  const auto targets = torch::tensor({{0.f, 0.f, 0.7f, 0.5f, 0.1f, 0.1f}});
  // One level, one anchor of the box's size (2x2 cells) so the ratio test keeps it.
  const DetectionLoss loss(
      DetectionLossOptions(config::Hyp{}, 1, torch::full({1, 1, 2}, 2.0), torch::tensor({32.f})));
  // Order: centre, x−1, y−1, x+1, y+1 (offsets j, k, l, m of loss.py).
  const auto gi = torch::tensor({14, 13, 14, 14, 14}, torch::kLong);
  const auto gj = torch::tensor({10, 10, 9, 10, 10}, torch::kLong);
  const auto box_x = torch::tensor({0.f, 1.f, 0.f, 0.f, 0.f});
  // float32 predictions (training) and double ones: the target arithmetic is float32 for both.
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    SCOPED_TRACE(c10::toString(dtype));
    const std::vector<torch::Tensor> preds{torch::zeros({1, 1, 20, 20, 6}, dtype)};
    const auto got = loss.build_targets(preds, targets.to(dtype));
    EXPECT_TRUE(torch::equal(got.indices[0][3], gi)) << got.indices[0][3];
    EXPECT_TRUE(torch::equal(got.indices[0][2], gj)) << got.indices[0][2];
    EXPECT_TRUE(torch::equal(got.box[0].index({torch::indexing::Slice(), 0}), box_x)) << got.box[0];
  }
}

}  // namespace
}  // namespace qyolo::train
