// ultralytics' --multi-scale: every training batch is resized to a random size between 0.5 and
// 1.5 times the image size (a multiple of the stride), so the model sees objects at more scales.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace qyolo::train {

struct MultiScaleOptions {
  TORCH_ARG(int64_t, imgsz) = 640;
  TORCH_ARG(int64_t, stride) = 32;
  TORCH_ARG(uint64_t, seed) = 0;
};

// The side length drawn for iteration `ni`: uniform over [0.5·imgsz, 1.5·imgsz + stride) rounded
// down to the stride, as train.py draws it. A function of (seed, ni) only, so every rank of a
// data-parallel run and a resumed run draw the same sizes.
int64_t multi_scale_size(int64_t ni, const MultiScaleOptions& options);

// (B,C,H,W) float images resized (bilinear) so that the longer side becomes
// multi_scale_size(ni), each side rounded up to the stride; returned unchanged when the scale is
// 1. Labels are normalised to the image size and stay valid.
torch::Tensor multi_scale(const torch::Tensor& images, int64_t ni,
                          const MultiScaleOptions& options);

}  // namespace qyolo::train
