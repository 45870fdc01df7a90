// Labels of one image in pixel coordinates, the form every augmentation works on.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "qyolo/data/labels.h"

namespace qyolo::data {

using PixelSegment = std::vector<cv::Point2d>;

struct Instances {
  std::vector<int> cls;
  std::vector<std::array<double, 4>> boxes;  // x1, y1, x2, y2 in pixels
  std::vector<PixelSegment> segments;        // empty, or one polygon per instance

  size_t size() const { return cls.size(); }
  bool has_segments() const { return !segments.empty(); }
  // Appends all instances of `other` (segments only when both sides have them).
  void append(const Instances& other);
  // Keeps the instances whose flag is set, in order.
  void keep(const std::vector<bool>& flags);
};

// Normalised labels -> pixels of an image scaled to (w, h) and shifted by (padw, padh).
Instances to_pixels(const ImageLabels& labels, double w, double h, double padw = 0.0,
                    double padh = 0.0);

// Clamps boxes and segment points to [0, limit] (the mosaic canvas before warping).
void clamp_coordinates(Instances& instances, double limit);

// Boxes as normalised (cx, cy, w, h) of a (w, h) image, clipped to [0, w - eps] x [0, h - eps]
// first as ultralytics does before the flips.
std::vector<std::array<float, 4>> to_normalised_xywh(const Instances& instances, int w, int h,
                                                     double eps = 1e-3);

}  // namespace qyolo::data
