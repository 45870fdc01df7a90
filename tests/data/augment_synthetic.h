// Small labelled images drawn for the data tests: flat background, a few filled polygons in
// pure colours (instance k in colour k), with exact boxes and segments.
#pragma once

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "qyolo/data/labels.h"

namespace qyolo::data::test_images {

inline const std::vector<cv::Scalar>& colours() {
  static const std::vector<cv::Scalar> bgr{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  return bgr;
}

// An ellipse-like polygon of 24 points centred at (cx, cy) with radii (rx, ry), in pixels.
inline std::vector<cv::Point> ellipse_polygon(double cx, double cy, double rx, double ry) {
  std::vector<cv::Point> points;
  for (int k = 0; k < 24; ++k) {
    const double t = 2 * 3.14159265358979 * k / 24;
    points.emplace_back(static_cast<int>(cx + rx * std::cos(t)),
                        static_cast<int>(cy + ry * std::sin(t)));
  }
  return points;
}

// Writes `count` PNG images (lossless, so pixels are exact) to `dir` with up to three objects.
inline std::vector<LabeledImage> write_images(const std::filesystem::path& dir, int count,
                                              uint32_t seed = 1) {
  std::mt19937 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  std::vector<LabeledImage> out;
  for (int i = 0; i < count; ++i) {
    const int w = static_cast<int>(uniform(160, 420)), h = static_cast<int>(uniform(160, 420));
    cv::Mat image(h, w, CV_8UC3, cv::Scalar(40, 40, 40));
    LabeledImage entry;
    entry.image_path = (dir / ("img" + std::to_string(i) + ".png")).string();
    entry.width = w;
    entry.height = h;
    const int objects = 1 + i % 3;
    for (int k = 0; k < objects; ++k) {
      // Objects in separate vertical bands so that they never overlap.
      const double band = static_cast<double>(w) / objects;
      const double rx = uniform(0.15, 0.4) * band, ry = uniform(0.1, 0.35) * h;
      const double cx = band * (k + 0.5), cy = uniform(ry + 2, h - ry - 2);
      const auto polygon = ellipse_polygon(cx, cy, rx, ry);
      cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, colours()[k]);
      // The box of the vertices (cv::boundingRect counts pixels, one more than the extent).
      const cv::Rect r = cv::boundingRect(polygon);
      const double bw = r.width - 1, bh = r.height - 1;
      entry.labels.cls.push_back(k);
      entry.labels.boxes.push_back({static_cast<float>((r.x + bw / 2) / w),
                                    static_cast<float>((r.y + bh / 2) / h),
                                    static_cast<float>(bw / w), static_cast<float>(bh / h)});
      Segment segment;
      for (const auto& p : polygon) {
        segment.push_back({static_cast<float>(static_cast<double>(p.x) / w),
                           static_cast<float>(static_cast<double>(p.y) / h)});
      }
      entry.labels.segments.push_back(segment);
    }
    cv::imwrite(entry.image_path, image);
    out.push_back(entry);
  }
  return out;
}

// Bounding box (x1, y1, x2, y2) of the pixels of instance colour `k` in a BGR image, or an
// empty rect when there are none.
inline cv::Rect colour_box(const cv::Mat& bgr, int k) {
  std::vector<cv::Mat> channels;
  cv::split(bgr, channels);
  cv::Mat mask = channels[k] > 150;
  for (int c = 0; c < 3; ++c) {
    if (c != k) mask &= channels[c] < 60;
  }
  return cv::boundingRect(mask);
}

}  // namespace qyolo::data::test_images
