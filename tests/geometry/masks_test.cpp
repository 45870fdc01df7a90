#include "qyolo/geometry/masks.h"

#include <gtest/gtest.h>

namespace qyolo::geometry {
namespace {

TEST(Masks, CropKeepsHalfOpenBox) {
  auto masks = torch::ones({1, 6, 8});
  auto cropped = crop_mask(masks, torch::tensor({{2.0, 1.0, 5.0, 3.0}}));
  EXPECT_EQ(cropped.sum().item<float>(), 3 * 2);
  EXPECT_EQ(cropped[0][1][2].item<float>(), 1);
  EXPECT_EQ(cropped[0][3][2].item<float>(), 0);
  EXPECT_EQ(cropped[0][1][5].item<float>(), 0);
}

}  // namespace
}  // namespace qyolo::geometry
