// A FashionDet of a few small images for eval tests that need real labelled images.
#pragma once

#include <algorithm>
#include <filesystem>

#include "qyolo/data/fashiondet.h"

namespace qyolo::eval::testing {

// Writes <dir>/fd (images, labels, COCO annotations, fashiondet.yaml); returns the yaml.
inline std::filesystem::path tiny_fashiondet(const std::filesystem::path& dir, int train, int val,
                                             int img) {
  data::FashionDetOptions options;
  options.out = dir / "fd";
  options.train = train;
  options.val = val;
  options.img = img;
  options.max_scale = std::min(4.0, img / 32.0);  // items of 28 px x scale fit the image
  return data::generate_fashiondet(options).yaml;
}

}  // namespace qyolo::eval::testing
