#include "qyolo/train/multi_scale.h"

#include <cmath>
#include <random>

namespace qyolo::train {

int64_t multi_scale_size(int64_t ni, const MultiScaleOptions& options) {
  const int64_t gs = options.stride();
  const auto low = static_cast<int64_t>(options.imgsz() * 0.5);
  const auto high = static_cast<int64_t>(options.imgsz() * 1.5) + gs;  // exclusive
  std::seed_seq seq{options.seed(), static_cast<uint64_t>(ni), uint64_t{0x6d756c7469}};
  std::mt19937_64 rng(seq);
  std::uniform_int_distribution<int64_t> draw(low, high - 1);
  return std::max<int64_t>(draw(rng) / gs * gs, gs);
}

torch::Tensor multi_scale(const torch::Tensor& images, int64_t ni,
                          const MultiScaleOptions& options) {
  TORCH_CHECK(images.dim() == 4, "multi_scale expects (B,C,H,W) images");
  const int64_t gs = options.stride();
  const double sf = static_cast<double>(multi_scale_size(ni, options)) /
                    static_cast<double>(std::max(images.size(2), images.size(3)));
  if (sf == 1.0) return images;
  std::vector<int64_t> size;
  for (const int64_t side : {images.size(2), images.size(3)})
    size.push_back(static_cast<int64_t>(std::ceil(side * sf / gs)) * gs);
  namespace F = torch::nn::functional;
  return F::interpolate(
      images, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false));
}

}  // namespace qyolo::train
