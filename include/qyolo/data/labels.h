// Ground truth of one image as stored in YOLO txt labels (normalised to the image size).
#pragma once

#include <array>
#include <string>
#include <vector>

namespace qyolo::data {

// A polygon in normalised image coordinates, points (x, y) in [0, 1].
using Segment = std::vector<std::array<float, 2>>;

struct ImageLabels {
  std::vector<int> cls;                        // class id per instance
  std::vector<std::array<float, 4>> boxes;     // normalised cx, cy, w, h per instance
  std::vector<Segment> segments;               // empty, or one polygon per instance
  std::vector<bool> crowd;                     // empty, or iscrowd per instance (COCO)

  size_t size() const { return cls.size(); }
};

// One entry of a data set split: the image file, its original size and its labels.
struct LabeledImage {
  std::string image_path;
  int width = 0;   // original width in pixels (0 = not read yet)
  int height = 0;  // original height in pixels
  ImageLabels labels;
};

}  // namespace qyolo::data
