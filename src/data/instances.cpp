#include "qyolo/data/instances.h"

#include <algorithm>

namespace qyolo::data {

void Instances::append(const Instances& other) {
  if (other.size() == 0) return;
  const bool both_segmented = (has_segments() || size() == 0) && other.has_segments();
  if (!both_segmented) segments.clear();
  cls.insert(cls.end(), other.cls.begin(), other.cls.end());
  boxes.insert(boxes.end(), other.boxes.begin(), other.boxes.end());
  if (both_segmented) segments.insert(segments.end(), other.segments.begin(), other.segments.end());
}

void Instances::keep(const std::vector<bool>& flags) {
  size_t kept = 0;
  for (size_t i = 0; i < cls.size(); ++i) {
    if (!flags[i]) continue;
    if (kept != i) {  // a self-move would empty the segment
      cls[kept] = cls[i];
      boxes[kept] = boxes[i];
      if (has_segments()) segments[kept] = std::move(segments[i]);
    }
    ++kept;
  }
  cls.resize(kept);
  boxes.resize(kept);
  if (has_segments()) segments.resize(kept);
}

Instances to_pixels(const ImageLabels& labels, double w, double h, double padw, double padh) {
  Instances out;
  out.cls = labels.cls;
  out.boxes.reserve(labels.size());
  for (const auto& b : labels.boxes) {
    out.boxes.push_back({w * (b[0] - b[2] / 2) + padw, h * (b[1] - b[3] / 2) + padh,
                         w * (b[0] + b[2] / 2) + padw, h * (b[1] + b[3] / 2) + padh});
  }
  if (labels.segments.size() == labels.size() && labels.size() > 0) {
    out.segments.reserve(labels.size());
    for (const auto& segment : labels.segments) {
      PixelSegment pixels;
      pixels.reserve(segment.size());
      for (const auto& p : segment) pixels.emplace_back(w * p[0] + padw, h * p[1] + padh);
      out.segments.push_back(std::move(pixels));
    }
  }
  return out;
}

void clamp_coordinates(Instances& instances, double limit) {
  for (auto& b : instances.boxes) {
    for (double& v : b) v = std::clamp(v, 0.0, limit);
  }
  for (auto& segment : instances.segments) {
    for (auto& p : segment) {
      p.x = std::clamp(p.x, 0.0, limit);
      p.y = std::clamp(p.y, 0.0, limit);
    }
  }
}

std::vector<std::array<float, 4>> to_normalised_xywh(const Instances& instances, int w, int h,
                                                     double eps) {
  std::vector<std::array<float, 4>> out;
  out.reserve(instances.size());
  for (const auto& b : instances.boxes) {
    const double x1 = std::clamp(b[0], 0.0, w - eps), x2 = std::clamp(b[2], 0.0, w - eps);
    const double y1 = std::clamp(b[1], 0.0, h - eps), y2 = std::clamp(b[3], 0.0, h - eps);
    out.push_back({static_cast<float>((x1 + x2) / 2 / w), static_cast<float>((y1 + y2) / 2 / h),
                   static_cast<float>((x2 - x1) / w), static_cast<float>((y2 - y1) / h)});
  }
  return out;
}

}  // namespace qyolo::data
