#include "qyolo/geometry/boxes.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qyolo::geometry {
namespace {

TEST(Boxes, XywhRoundTrip) {
  auto xywh = torch::tensor({{10.0, 20.0, 4.0, 6.0, 0.5}, {0.0, 0.0, 2.0, 2.0, 0.7}});
  auto xyxy = xywh2xyxy(xywh);
  EXPECT_TRUE(torch::allclose(
      xyxy, torch::tensor({{8.0, 17.0, 12.0, 23.0, 0.5}, {-1.0, -1.0, 1.0, 1.0, 0.7}})));
  EXPECT_TRUE(torch::allclose(xyxy2xywh(xyxy), xywh));
}

TEST(Boxes, PairwiseIou) {
  auto a = torch::tensor({{0.0, 0.0, 10.0, 10.0}, {0.0, 0.0, 2.0, 2.0}});
  auto b =
      torch::tensor({{5.0, 0.0, 15.0, 10.0}, {20.0, 20.0, 30.0, 30.0}, {0.0, 0.0, 10.0, 10.0}});
  auto iou = box_iou(a, b);
  ASSERT_EQ(iou.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_NEAR(iou[0][0].item<float>(), 50.0 / 150.0, 1e-6);
  EXPECT_EQ(iou[0][1].item<float>(), 0.0f);
  EXPECT_NEAR(iou[0][2].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(iou[1][2].item<float>(), 4.0 / 100.0, 1e-6);
}

// Hand-computed values of yolov5 v7.0 bbox_iou for two xyxy boxes.
TEST(Boxes, GeneralisedIous) {
  auto b1 = torch::tensor({{0.0, 0.0, 4.0, 2.0}}, torch::kDouble);
  auto b2 = torch::tensor({{2.0, 0.0, 6.0, 4.0}}, torch::kDouble);
  const double eps = 1e-7;
  const double h1 = 2 + eps, h2 = 4 + eps;
  const double inter = 2 * 2, uni = 4 * h1 + 4 * h2 - inter + eps, iou = inter / uni;
  EXPECT_NEAR(bbox_iou(b1, b2, false).item<double>(), iou, 1e-12);
  const double c_area = 6 * 4 + eps;
  EXPECT_NEAR(bbox_iou(b1, b2, false, IouKind::kGIoU).item<double>(), iou - (c_area - uni) / c_area,
              1e-12);
  const double c2 = 36 + 16 + eps, rho2 = (std::pow(8 - 4, 2) + std::pow(4 - 2, 2)) / 4;
  EXPECT_NEAR(bbox_iou(b1, b2, false, IouKind::kDIoU).item<double>(), iou - rho2 / c2, 1e-12);
  const double v = 4 / (M_PI * M_PI) * std::pow(std::atan(4 / h2) - std::atan(4 / h1), 2);
  const double alpha = v / (v - iou + 1 + eps);
  EXPECT_NEAR(bbox_iou(b1, b2, false, IouKind::kCIoU).item<double>(), iou - (rho2 / c2 + v * alpha),
              1e-12);
}

TEST(Boxes, CiouAlphaCarriesNoGradient) {
  auto b1 = torch::tensor({{1.0, 1.0, 2.0, 3.0}}, torch::requires_grad());
  auto b2 = torch::tensor({{1.5, 1.2, 2.0, 2.0}});
  bbox_iou(b1, b2, true, IouKind::kCIoU).sum().backward();
  ASSERT_TRUE(b1.grad().defined());
  EXPECT_TRUE(torch::isfinite(b1.grad()).all().item<bool>());
}

}  // namespace
}  // namespace qyolo::geometry
