// The outline of a binary instance mask as one polygon (how COCO-style labels are made from masks).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace qyolo::data {

// The largest external contour of the non-zero pixels of `mask` (CV_8U), simplified with
// Douglas-Peucker at `epsilon` pixels; empty when the mask has no contour with 3+ points.
std::vector<cv::Point> mask_to_polygon(const cv::Mat& mask, double epsilon = 1.0);

// Shoelace area of a polygon in its own units.
double polygon_area(const std::vector<cv::Point2f>& polygon);

}  // namespace qyolo::data
