// AutoAnchor as yolov5 v7.0's utils/autoanchor.py: the fit metric on hand-computed label sets,
// k-means anchors for labels the default anchors cannot fit, and the check on a model's head.
#include "qyolo/train/autoanchor.h"

#include <gtest/gtest.h>

#include <random>

#include "qyolo/data/dataset.h"
#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::train {
namespace {

// yolov5's default anchors in pixels.
torch::Tensor default_anchors() {
  return torch::tensor({10.f, 13.f, 16.f, 30.f, 33.f, 23.f, 30.f, 61.f, 62.f, 45.f, 59.f, 119.f,
                        116.f, 90.f, 156.f, 198.f, 373.f, 326.f})
      .view({9, 2});
}

data::LabeledImage image(int width, int height, const std::vector<std::array<float, 2>>& wh) {
  data::LabeledImage out;
  out.image_path = "img.jpg";
  out.width = width;
  out.height = height;
  for (const auto& [w, h] : wh) {
    out.labels.cls.push_back(0);
    out.labels.boxes.push_back({0.5f, 0.5f, w, h});
  }
  return out;
}

data::Dataset dataset(std::vector<data::LabeledImage> images) {
  return data::Dataset(std::move(images), config::Hyp{}, data::DatasetOptions{});
}

// Very elongated boxes at 640 px, half wide and half tall (aspect about 30): each side is more
// than 4 times off every default anchor's.
data::Dataset elongated(int images) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> length(0.35f, 0.6f), aspect(25.f, 35.f);
  std::vector<data::LabeledImage> out;
  for (int i = 0; i < images; ++i) {
    std::vector<std::array<float, 2>> boxes;
    for (int k = 0; k < 4; ++k) {
      const float l = length(rng), s = l / aspect(rng);
      boxes.push_back(k % 2 == 0 ? std::array<float, 2>{l, s} : std::array<float, 2>{s, l});
    }
    out.push_back(image(640, 640, boxes));
  }
  return dataset(std::move(out));
}

TEST(AutoAnchor, FitCountsLabelsAndAnchorsAboveTheThreshold) {
  // Ratio metric min over w, h of min(r, 1/r) against (100,100) and (40,40):
  //   (320,120): 0.3125 and 0.125 -> fits 1;  (32,64): 0.32 and 0.625 -> fits 2;
  //   (8,300): 0.08 and 0.133 -> fits none;  (400,100): exactly 0.25 and 0.1 -> fits none.
  const auto wh = torch::tensor({320.f, 120.f, 32.f, 64.f, 8.f, 300.f, 400.f, 100.f}).view({4, 2});
  const auto anchors = torch::tensor({100.f, 100.f, 40.f, 40.f}).view({2, 2});
  const auto fit = anchor_fit(wh, anchors, 4.0);
  EXPECT_DOUBLE_EQ(fit.bpr, 0.5);
  EXPECT_DOUBLE_EQ(fit.aat, 0.75);
  // anchor_t 2: only (32,64) against (40,40) is above 0.5.
  const auto strict = anchor_fit(wh, anchors, 2.0);
  EXPECT_DOUBLE_EQ(strict.bpr, 0.25);
  EXPECT_DOUBLE_EQ(strict.aat, 0.25);
  EXPECT_THROW(anchor_fit(torch::zeros({0, 2}), anchors, 4.0), c10::Error);
}

TEST(AutoAnchor, LabelSizesFollowTheImageShapeAtImgsz) {
  // 640x480 -> gain 1; 100x200 -> long side 200 to 640, gain 3.2; the empty image adds none.
  const auto ds = dataset(
      {image(640, 480, {{0.5f, 0.25f}}), image(50, 50, {}), image(100, 200, {{0.1f, 0.1f}})});
  const auto wh = label_wh(ds, 640);
  EXPECT_TRUE(torch::allclose(wh, torch::tensor({320.f, 120.f, 32.f, 64.f}).view({2, 2})));
  const auto scaled = label_wh(ds, 640, {1.1, 2.0, 0.9});
  EXPECT_TRUE(torch::allclose(scaled, torch::tensor({352.f, 132.f, 28.8f, 57.6f}).view({2, 2})));
  EXPECT_THROW(label_wh(ds, 640, {1.0}), c10::Error);
}

TEST(AutoAnchor, KmeanAnchorsFitElongatedBoxesAndAreSeeded) {
  const auto wh = label_wh(elongated(50), 640);
  EXPECT_LT(anchor_fit(wh, default_anchors(), 4.0).bpr, 0.1);
  const auto options = AutoAnchorOptions().img_size(640).seed(11);
  const auto anchors = kmean_anchors(wh, 9, options);
  ASSERT_EQ(anchors.sizes(), torch::IntArrayRef({9, 2}));
  const auto area = anchors.prod(1);
  EXPECT_TRUE(torch::equal(area, std::get<0>(area.sort()))) << "sorted by area";
  EXPECT_GT(anchor_fit(wh, anchors, 4.0).bpr, 0.98);
  EXPECT_TRUE(torch::equal(kmean_anchors(wh, 9, options), anchors));
  EXPECT_FALSE(torch::equal(kmean_anchors(wh, 9, AutoAnchorOptions(options).seed(12)), anchors));
}

TEST(AutoAnchor, TooFewLabelsStartFromRandomSizes) {
  // Fewer labels than anchors: kmean_anchors' random start, still evolved to fit them.
  const auto wh = torch::tensor({300.f, 10.f, 12.f, 280.f}).view({2, 2});
  const auto anchors = kmean_anchors(wh, 3, AutoAnchorOptions().generations(300));
  EXPECT_EQ(anchors.size(0), 3);
  EXPECT_TRUE((anchors >= 2.0).all().item<bool>());
}

TEST(AutoAnchor, CheckReplacesPoorlyFittingAnchorsOfTheHead) {
  nn::Model model(test::model_yaml("yolov5n"));
  auto& head = model->head();
  const auto check = check_anchors(head, elongated(50), AutoAnchorOptions().seed(1));
  EXPECT_EQ(check.labels, 200);
  EXPECT_LT(check.fit.bpr, 0.1);
  ASSERT_TRUE(check.evolved.has_value());
  EXPECT_GT(check.evolved->bpr, 0.98);
  EXPECT_TRUE(check.replaced);
  // The evolved anchors, smallest on the stride-8 level, in grid units.
  const auto pixels = (head.anchors() * head.stride().view({-1, 1, 1})).view({9, 2});
  const auto area = pixels.prod(1);
  EXPECT_TRUE(torch::equal(area, std::get<0>(area.sort())));
  EXPECT_GT(anchor_fit(label_wh(elongated(50), 640), pixels, 4.0).bpr, 0.98);
}

TEST(AutoAnchor, CheckKeepsWellFittingAnchors) {
  nn::Model model(test::model_yaml("yolov5n"));
  const auto before = model->anchors().clone();
  // Boxes the size of the default anchors at 640 px.
  std::vector<std::array<float, 2>> boxes;
  for (int64_t i = 0; i < 9; ++i)
    boxes.push_back(
        {default_anchors()[i][0].item<float>() / 640, default_anchors()[i][1].item<float>() / 640});
  const auto check = check_anchors(model->head(), dataset({image(640, 640, boxes)}), {});
  EXPECT_GT(check.fit.bpr, 0.98);
  EXPECT_FALSE(check.evolved.has_value());
  EXPECT_FALSE(check.replaced);
  EXPECT_TRUE(torch::equal(model->anchors(), before));
}

TEST(AutoAnchor, IDetectDecodingAnchorsFollow) {
  nn::Model model(test::model_yaml("yolov7-tiny"));
  auto& head = model->head();
  ASSERT_TRUE(check_anchors(head, elongated(20), AutoAnchorOptions().generations(200)).replaced);
  const auto grid = head.named_buffers(/*recurse=*/false)["anchor_grid"];
  EXPECT_TRUE(
      torch::allclose(grid.flatten(), (head.anchors() * head.stride().view({-1, 1, 1})).flatten()));
}

}  // namespace
}  // namespace qyolo::train
