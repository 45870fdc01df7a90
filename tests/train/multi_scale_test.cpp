#include "qyolo/train/multi_scale.h"

#include <gtest/gtest.h>

#include <set>

namespace qyolo::train {
namespace {

TEST(MultiScale, SizesCoverHalfToOneAndAHalfInStrideSteps) {
  const auto options = MultiScaleOptions().imgsz(320).stride(32).seed(3);
  std::set<int64_t> sizes;
  for (int64_t ni = 0; ni < 2000; ++ni) {
    const int64_t size = multi_scale_size(ni, options);
    EXPECT_EQ(size % 32, 0);
    EXPECT_GE(size, 160);
    EXPECT_LE(size, 480);
    sizes.insert(size);
  }
  // randrange(160, 512) // 32 * 32 reaches every multiple of 32 from 160 to 480.
  EXPECT_EQ(sizes.size(), 11u);
  EXPECT_EQ(multi_scale_size(17, options), multi_scale_size(17, options));
  int differing = 0;  // another seed draws another sequence
  for (int64_t ni = 0; ni < 50; ++ni)
    differing += multi_scale_size(ni, options) !=
                 multi_scale_size(ni, MultiScaleOptions().imgsz(320).stride(32).seed(4));
  EXPECT_GT(differing, 25);
}

TEST(MultiScale, ResizesTheLongSideAndRoundsUpToTheStride) {
  const auto options = MultiScaleOptions().imgsz(64).stride(32).seed(0);
  const auto images = torch::rand({2, 3, 64, 32});
  for (int64_t ni = 0; ni < 20; ++ni) {
    const auto out = multi_scale(images, ni, options);
    const int64_t size = multi_scale_size(ni, options);
    EXPECT_EQ(out.size(2), size);
    EXPECT_EQ(out.size(3), (size / 2 + 31) / 32 * 32);
    EXPECT_EQ(out.size(0), 2);
    if (size == 64) EXPECT_TRUE(out.is_same(images));
  }
}

}  // namespace
}  // namespace qyolo::train
