#include "qyolo/data/polygon_masks.h"

#include <algorithm>
#include <numeric>
#include <opencv2/imgproc.hpp>

namespace qyolo::data {

cv::Mat polygon_mask(cv::Size image_size, const PixelSegment& segment, int downsample) {
  cv::Mat full = cv::Mat::zeros(image_size, CV_8U);
  std::vector<cv::Point> polygon;
  polygon.reserve(segment.size());
  // Truncation toward zero, as astype(np.int32).
  for (const auto& p : segment) polygon.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
  if (!polygon.empty()) {
    cv::fillPoly(full, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(1));
  }
  cv::Mat small;
  cv::resize(full, small, cv::Size(image_size.width / downsample, image_size.height / downsample),
             0, 0, cv::INTER_LINEAR);
  return small;
}

std::vector<cv::Mat> polygon_masks(cv::Size image_size, const std::vector<PixelSegment>& segments,
                                   int downsample) {
  std::vector<cv::Mat> masks;
  masks.reserve(segments.size());
  for (const auto& segment : segments)
    masks.push_back(polygon_mask(image_size, segment, downsample));
  return masks;
}

OverlapMask polygon_masks_overlap(cv::Size image_size, const std::vector<PixelSegment>& segments,
                                  int downsample) {
  const auto masks = polygon_masks(image_size, segments, downsample);
  std::vector<double> areas(masks.size());
  for (size_t i = 0; i < masks.size(); ++i) areas[i] = cv::sum(masks[i])[0];
  OverlapMask out;
  out.order.resize(masks.size());
  std::iota(out.order.begin(), out.order.end(), 0);
  std::stable_sort(out.order.begin(), out.order.end(),
                   [&](size_t a, size_t b) { return areas[a] > areas[b]; });
  out.mask = cv::Mat::zeros(image_size.height / downsample, image_size.width / downsample, CV_32S);
  for (size_t rank = 0; rank < out.order.size(); ++rank) {
    // Running sum clipped at the current rank: later (smaller) instances win where they overlap.
    const int label = static_cast<int>(rank + 1);
    cv::Mat as_int;
    masks[out.order[rank]].convertTo(as_int, CV_32S, label);
    out.mask += as_int;
    cv::min(out.mask, label, out.mask);
  }
  return out;
}

}  // namespace qyolo::data
