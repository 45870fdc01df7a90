// Stacking samples into a training / validation batch.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "qyolo/data/dataset.h"

namespace qyolo::data {

struct Batch {
  torch::Tensor images;   // (B, 3, H, W) uint8 RGB, contiguous
  torch::Tensor targets;  // (n, 6) float: image index in the batch, cls, cx, cy, w, h normalised
  // Undefined without masks; (B, H/d, W/d) overlap masks or (n, H/d, W/d) per-instance masks.
  torch::Tensor masks;
  MaskFormat mask_format = MaskFormat::kNone;
  std::vector<std::string> paths;
  std::vector<std::optional<ImageShapes>> shapes;  // per image, set for letterboxed samples

  int64_t size() const { return static_cast<int64_t>(paths.size()); }
};

// All samples must have the same image size. Pinned memory speeds up host -> GPU copies, so
// it is the default when CUDA is available.
Batch collate(std::vector<Sample> samples, bool pin_memory = torch::cuda::is_available());

}  // namespace qyolo::data
