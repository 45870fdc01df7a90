#include "qyolo/core/class_colors.h"

#include <gtest/gtest.h>

namespace qyolo {
namespace {

void expect_bgr(const Bgr& color, uint8_t b, uint8_t g, uint8_t r) {
  EXPECT_EQ(color.b, b);
  EXPECT_EQ(color.g, g);
  EXPECT_EQ(color.r, r);
}

// ultralytics' Colors hex list is RGB; OpenCV pictures want BGR.
TEST(ClassColors, AreUltralyticsPaletteInBgrOrder) {
  expect_bgr(class_color(0), 0x38, 0x38, 0xFF);   // FF3838
  expect_bgr(class_color(3), 0x1D, 0xB2, 0xFF);   // FFB21D
  expect_bgr(class_color(11), 0xFF, 0xC2, 0x00);  // 00C2FF
  expect_bgr(class_color(19), 0xC7, 0x37, 0xFF);  // FF37C7
}

TEST(ClassColors, CycleEveryTwentyClasses) {
  for (int64_t cls : {0, 5, 19}) {
    const Bgr base = class_color(cls);
    expect_bgr(class_color(cls + 20), base.b, base.g, base.r);
    expect_bgr(class_color(cls + 400), base.b, base.g, base.r);
  }
  const Bgr last = class_color(19);
  expect_bgr(class_color(-1), last.b, last.g, last.r);
}

}  // namespace
}  // namespace qyolo
