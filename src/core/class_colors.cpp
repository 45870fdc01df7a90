#include "qyolo/core/class_colors.h"

#include <array>

namespace qyolo {

Bgr class_color(int64_t cls) {
  // ultralytics utils/plots.py Colors, as 0xRRGGBB.
  static constexpr std::array<uint32_t, 20> kPalette = {
      0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17,
      0x3DDB86, 0x1A9334, 0x00D4BB, 0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF,
      0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7};
  const int64_t n = static_cast<int64_t>(kPalette.size());
  const uint32_t rgb = kPalette[((cls % n) + n) % n];  // negative ids cycle too
  return {static_cast<uint8_t>(rgb & 0xFF), static_cast<uint8_t>((rgb >> 8) & 0xFF),
          static_cast<uint8_t>((rgb >> 16) & 0xFF)};
}

}  // namespace qyolo
