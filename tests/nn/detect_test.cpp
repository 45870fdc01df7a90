// Detect heads take new pixel anchors (AutoAnchor) the way they take the yaml's.
#include "qyolo/nn/detect.h"

#include <gtest/gtest.h>

namespace qyolo::nn {
namespace {

const std::vector<std::vector<double>> kAnchors = {{10, 13, 16, 30}, {30, 61, 62, 45}};

torch::Tensor pixels(const DetectImpl& head) {
  return head.anchors() * head.stride().view({-1, 1, 1});
}

TEST(DetectAnchors, SetAnchorsStoresGridUnitsInStrideOrder) {
  Detect head(DetectOptions(3, kAnchors, {8, 16}));
  head->set_strides(torch::tensor({8.0, 16.0}));
  const auto small_first = torch::tensor({4.f, 6.f, 8.f, 10.f, 40.f, 60.f, 80.f, 100.f});
  head->set_anchors(small_first.view({2, 2, 2}));
  EXPECT_TRUE(
      torch::allclose(head->anchors().flatten(),
                      small_first / torch::tensor({8.f, 8.f, 8.f, 8.f, 16.f, 16.f, 16.f, 16.f})));
  // Large anchors on the small-stride level are swapped, as check_anchor_order does.
  head->set_anchors(small_first.view({2, 2, 2}).flip(0));
  EXPECT_TRUE(torch::allclose(pixels(*head).flatten(), small_first));
  EXPECT_THROW(head->set_anchors(torch::ones({3, 2})), c10::Error);
}

TEST(DetectAnchors, IDetectDecodesWithTheNewAnchors) {
  IDetect head(DetectOptions(3, kAnchors, {8, 16}));
  head->set_strides(torch::tensor({8.0, 16.0}));
  const auto anchors =
      torch::tensor({5.f, 7.f, 9.f, 11.f, 50.f, 70.f, 90.f, 110.f}).view({2, 2, 2});
  head->set_anchors(anchors);
  const auto grid = head->named_buffers(/*recurse=*/false)["anchor_grid"];
  EXPECT_TRUE(torch::allclose(grid.flatten(), anchors.flatten()));
  EXPECT_TRUE(torch::allclose(pixels(*head), anchors));
}

}  // namespace
}  // namespace qyolo::nn
