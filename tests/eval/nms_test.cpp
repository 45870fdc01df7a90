#include "qyolo/eval/nms.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::eval {
namespace {

using torch::indexing::Slice;

TEST(Nms, GreedyKernel) {
  auto boxes = torch::tensor({{0.0, 0.0, 10.0, 10.0},
                              {1.0, 1.0, 11.0, 11.0},
                              {20.0, 20.0, 30.0, 30.0},
                              {0.0, 0.0, 10.0, 9.0}});
  auto scores = torch::tensor({0.9, 0.8, 0.7, 0.95});
  auto keep = nms(boxes, scores, 0.5);
  EXPECT_TRUE(torch::equal(keep, torch::tensor({3, 2}, torch::kLong)));
  auto groups = torch::tensor({0, 1, 0, 0}, torch::kLong);
  EXPECT_TRUE(torch::equal(batched_nms(boxes, scores, groups, 0.5),
                           torch::tensor({3, 1, 2}, torch::kLong)));
}

TEST(Nms, EqualsReference) {
  auto d = test::load_pickle(test::fixtures_dir() / "nms.pt").toGenericDict();
  auto prediction = d.at("prediction").toTensor();
  auto cases = d.at("cases").toListRef();
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    auto cd = c.toGenericDict();
    const auto name = cd.at("name").toStringRef();
    auto options = NmsOptions()
                       .conf_thres(cd.at("conf_thres").toDouble())
                       .iou_thres(cd.at("iou_thres").toDouble())
                       .max_det(cd.at("max_det").toInt())
                       .multi_label(cd.at("multi_label").toBool())
                       .agnostic(cd.at("agnostic").toBool());
    auto out = non_max_suppression(prediction, options);
    auto expected = cd.at("output").toListRef();
    ASSERT_EQ(out.size(), expected.size()) << name;
    for (size_t i = 0; i < out.size(); ++i) {
      auto e = expected[i].toTensor();
      ASSERT_EQ(out[i].sizes(), e.sizes()) << name << " image " << i;
      EXPECT_TRUE(torch::equal(out[i].select(1, 5), e.select(1, 5))) << name << " classes " << i;
      EXPECT_LE((out[i].index({Slice(), Slice(0, 4)}) - e.index({Slice(), Slice(0, 4)}))
                    .abs()
                    .max()
                    .item<double>(),
                1e-4)
          << name;
      EXPECT_LE((out[i].select(1, 4) - e.select(1, 4)).abs().max().item<double>(), 1e-6) << name;
    }
  }
}

TEST(Nms, MaskCoefficientsPassThroughAndClassFilter) {
  // One image, two classes, two mask coefficients: rows (cx,cy,w,h,obj,c0,c1,m0,m1).
  auto pred = torch::tensor({{{50.0, 50.0, 20.0, 20.0, 0.9, 0.8, 0.1, 1.0, 2.0},
                              {51.0, 50.0, 20.0, 20.0, 0.8, 0.9, 0.1, 3.0, 4.0},
                              {150.0, 50.0, 20.0, 20.0, 0.5, 0.1, 0.9, 5.0, 6.0}}});
  auto out = non_max_suppression(pred, NmsOptions().num_masks(2).conf_thres(0.3));
  ASSERT_EQ(out[0].size(0), 2);
  ASSERT_EQ(out[0].size(1), 8);
  EXPECT_NEAR(out[0][0][4].item<float>(), 0.72, 1e-6);
  // The reference multiplies the mask columns by obj as well.
  EXPECT_NEAR(out[0][0][6].item<float>(), 0.9 * 1.0, 1e-6);
  EXPECT_NEAR(out[0][1][7].item<float>(), 0.5 * 6.0, 1e-6);
  auto only1 = non_max_suppression(pred, NmsOptions().num_masks(2).conf_thres(0.3).classes({1}));
  ASSERT_EQ(only1[0].size(0), 1);
  EXPECT_EQ(only1[0][0][5].item<float>(), 1.0f);
}

}  // namespace
}  // namespace qyolo::eval
