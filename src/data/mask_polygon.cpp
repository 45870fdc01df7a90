#include "qyolo/data/mask_polygon.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace qyolo::data {

std::vector<cv::Point> mask_to_polygon(const cv::Mat& mask, double epsilon) {
  std::vector<std::vector<cv::Point>> contours;
  cv::Mat binary = mask != 0;
  cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const std::vector<cv::Point>* largest = nullptr;
  double largest_area = -1.0;
  for (const auto& contour : contours) {
    const double area = cv::contourArea(contour);
    if (contour.size() >= 3 && area > largest_area) {
      largest_area = area;
      largest = &contour;
    }
  }
  if (largest == nullptr) return {};
  std::vector<cv::Point> simplified;
  cv::approxPolyDP(*largest, simplified, epsilon, /*closed=*/true);
  return simplified.size() >= 3 ? simplified : *largest;
}

double polygon_area(const std::vector<cv::Point2f>& polygon) {
  double twice = 0.0;
  for (size_t i = 0, n = polygon.size(); i < n; ++i) {
    const cv::Point2f& a = polygon[i];
    const cv::Point2f& b = polygon[(i + 1) % n];
    twice += static_cast<double>(a.x) * b.y - static_cast<double>(b.x) * a.y;
  }
  return std::abs(twice) / 2.0;
}

}  // namespace qyolo::data
