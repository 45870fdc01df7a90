#include "qyolo/data/augment.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

namespace qyolo::data {
namespace {


cv::Point2d apply(const cv::Matx33d& m, const cv::Point2d& p, bool projective) {
  const double x = m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2);
  const double y = m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2);
  if (!projective) return {x, y};
  const double z = m(2, 0) * p.x + m(2, 1) * p.y + m(2, 2);
  return {x / z, y / z};
}

// Intersection of `box` with `other`, over the area of `other` (both xyxy).
double intersection_over_other(const std::array<double, 4>& box,
                               const std::array<double, 4>& other) {
  const double iw = std::max(0.0, std::min(box[2], other[2]) - std::max(box[0], other[0]));
  const double ih = std::max(0.0, std::min(box[3], other[3]) - std::max(box[1], other[1]));
  const double area = (other[2] - other[0]) * (other[3] - other[1]) + 1e-7;
  return iw * ih / area;
}

}  // namespace

std::vector<bool> box_candidates(const std::vector<std::array<double, 4>>& before,
                                 const std::vector<std::array<double, 4>>& after, double wh_thr,
                                 double ar_thr, double area_thr) {
  constexpr double eps = 1e-16;
  std::vector<bool> keep(before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    const double w1 = before[i][2] - before[i][0], h1 = before[i][3] - before[i][1];
    const double w2 = after[i][2] - after[i][0], h2 = after[i][3] - after[i][1];
    const double ar = std::max(w2 / (h2 + eps), h2 / (w2 + eps));
    keep[i] = w2 > wh_thr && h2 > wh_thr && w2 * h2 / (w1 * h1 + eps) > area_thr && ar < ar_thr;
  }
  return keep;
}

PixelSegment resample_segment(const PixelSegment& segment, int n) {
  if (segment.empty()) return {};
  PixelSegment closed = segment;
  closed.push_back(segment.front());
  const double last = static_cast<double>(closed.size() - 1);
  PixelSegment out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = n > 1 ? last * i / (n - 1) : 0.0;
    const size_t k = std::min(static_cast<size_t>(t), closed.size() - 2);
    const double f = t - static_cast<double>(k);
    out[i] = closed[k] + (closed[k + 1] - closed[k]) * f;
  }
  return out;
}

std::array<double, 4> segment_box(const PixelSegment& segment, double w, double h) {
  double x1 = std::numeric_limits<double>::max(), y1 = x1;
  double x2 = std::numeric_limits<double>::lowest(), y2 = x2;
  bool any = false;
  for (const auto& p : segment) {
    if (p.x < 0 || p.y < 0 || p.x > w || p.y > h) continue;
    any = true;
    x1 = std::min(x1, p.x);
    y1 = std::min(y1, p.y);
    x2 = std::max(x2, p.x);
    y2 = std::max(y2, p.y);
  }
  if (!any) return {0, 0, 0, 0};
  return {x1, y1, x2, y2};
}

cv::Mat random_perspective(const cv::Mat& image, Instances& instances,
                           const PerspectiveParams& params, SampleRng& rng,
                           std::array<int, 2> border) {
  const int height = image.rows + border[0] * 2;
  const int width = image.cols + border[1] * 2;

  // Draw order follows the reference: perspective, rotation, scale, shear, translation.
  const cv::Matx33d centre(1, 0, -image.cols / 2.0, 0, 1, -image.rows / 2.0, 0, 0, 1);
  cv::Matx33d persp = cv::Matx33d::eye();
  persp(2, 0) = rng.uniform(-params.perspective, params.perspective);
  persp(2, 1) = rng.uniform(-params.perspective, params.perspective);
  const double angle = rng.uniform(-params.degrees, params.degrees) * M_PI / 180.0;
  const double s = rng.uniform(1 - params.scale, 1 + params.scale);
  // cv::getRotationMatrix2D(centre 0, angle, s): counter-clockwise rotation for positive angles.
  const double a = s * std::cos(angle), b = s * std::sin(angle);
  const cv::Matx33d rotate(a, b, 0, -b, a, 0, 0, 0, 1);
  cv::Matx33d shear = cv::Matx33d::eye();
  shear(0, 1) = std::tan(rng.uniform(-params.shear, params.shear) * M_PI / 180.0);
  shear(1, 0) = std::tan(rng.uniform(-params.shear, params.shear) * M_PI / 180.0);
  cv::Matx33d translate = cv::Matx33d::eye();
  translate(0, 2) = rng.uniform(0.5 - params.translate, 0.5 + params.translate) * width;
  translate(1, 2) = rng.uniform(0.5 - params.translate, 0.5 + params.translate) * height;
  const cv::Matx33d m = translate * shear * rotate * persp * centre;  // applied right to left

  const bool projective = params.perspective != 0.0;
  cv::Mat out = image;
  if (border[0] != 0 || border[1] != 0 || m != cv::Matx33d::eye()) {
    const cv::Scalar grey(114, 114, 114);
    if (projective) {
      cv::warpPerspective(image, out, cv::Mat(m), cv::Size(width, height), cv::INTER_LINEAR,
                          cv::BORDER_CONSTANT, grey);
    } else {
      cv::warpAffine(image, out, cv::Mat(m).rowRange(0, 2), cv::Size(width, height),
                     cv::INTER_LINEAR, cv::BORDER_CONSTANT, grey);
    }
  }

  const size_t n = instances.size();
  if (n == 0) return out;
  std::vector<std::array<double, 4>> moved(n);
  const bool segmented = instances.has_segments();
  if (segmented) {
    for (size_t i = 0; i < n; ++i) {
      PixelSegment points = resample_segment(instances.segments[i]);
      for (auto& p : points) p = apply(m, p, projective);
      moved[i] = segment_box(points, width, height);
      instances.segments[i] = std::move(points);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const auto& bx = instances.boxes[i];
      const cv::Point2d corners[4] = {
          {bx[0], bx[1]}, {bx[2], bx[3]}, {bx[0], bx[3]}, {bx[2], bx[1]}};
      double x1 = std::numeric_limits<double>::max(), y1 = x1;
      double x2 = std::numeric_limits<double>::lowest(), y2 = x2;
      for (const auto& c : corners) {
        const cv::Point2d p = apply(m, c, projective);
        x1 = std::min(x1, p.x);
        y1 = std::min(y1, p.y);
        x2 = std::max(x2, p.x);
        y2 = std::max(y2, p.y);
      }
      moved[i] = {std::clamp(x1, 0.0, static_cast<double>(width)),
                  std::clamp(y1, 0.0, static_cast<double>(height)),
                  std::clamp(x2, 0.0, static_cast<double>(width)),
                  std::clamp(y2, 0.0, static_cast<double>(height))};
    }
  }

  std::vector<std::array<double, 4>> scaled = instances.boxes;
  for (auto& bx : scaled) {
    for (double& v : bx) v *= s;
  }
  const auto keep = box_candidates(scaled, moved, 2.0, 100.0, segmented ? 0.01 : 0.10);
  instances.boxes = std::move(moved);
  instances.keep(keep);
  return out;
}

void augment_hsv(cv::Mat& bgr, double hgain, double sgain, double vgain, SampleRng& rng) {
  if (hgain == 0.0 && sgain == 0.0 && vgain == 0.0) return;
  const double rh = rng.uniform(-1, 1) * hgain + 1;
  const double rs = rng.uniform(-1, 1) * sgain + 1;
  const double rv = rng.uniform(-1, 1) * vgain + 1;
  cv::Mat lut_h(1, 256, CV_8U), lut_s(1, 256, CV_8U), lut_v(1, 256, CV_8U);
  for (int x = 0; x < 256; ++x) {
    // Truncation to uint8, as numpy's astype does.
    lut_h.at<uint8_t>(x) = static_cast<uint8_t>(std::fmod(x * rh, 180.0));
    lut_s.at<uint8_t>(x) = static_cast<uint8_t>(std::clamp(x * rs, 0.0, 255.0));
    lut_v.at<uint8_t>(x) = static_cast<uint8_t>(std::clamp(x * rv, 0.0, 255.0));
  }
  cv::Mat hsv;
  cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> channels;
  cv::split(hsv, channels);
  cv::LUT(channels[0], lut_h, channels[0]);
  cv::LUT(channels[1], lut_s, channels[1]);
  cv::LUT(channels[2], lut_v, channels[2]);
  cv::merge(channels, hsv);
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
}

void mixup(cv::Mat& image, Instances& instances, const cv::Mat& other,
           const Instances& other_instances, SampleRng& rng) {
  TORCH_CHECK(image.size() == other.size() && image.type() == other.type(),
              "mixup: images must have the same size and type");
  const double r = rng.beta(32.0, 32.0);
  cv::Mat blended(image.size(), image.type());
  const int cols = image.cols * image.channels();
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* a = image.ptr<uint8_t>(y);
    const uint8_t* b = other.ptr<uint8_t>(y);
    uint8_t* o = blended.ptr<uint8_t>(y);
    for (int x = 0; x < cols; ++x) o[x] = static_cast<uint8_t>(a[x] * r + b[x] * (1 - r));
  }
  image = blended;
  instances.append(other_instances);
}

void copy_paste(cv::Mat& image, Instances& instances, double p, SampleRng& rng) {
  const size_t n = instances.segments.size();
  if (p == 0.0 || n == 0) return;
  const int w = image.cols;
  cv::Mat paste_mask = cv::Mat::zeros(image.size(), CV_8U);
  const auto picks = rng.sample(static_cast<int64_t>(n),
                                static_cast<int64_t>(std::nearbyint(p * static_cast<double>(n))));
  for (const int64_t j : picks) {
    const auto source = instances.boxes[j];
    const std::array<double, 4> mirrored{w - source[2], source[1], w - source[0], source[3]};
    bool hides_little = true;
    for (const auto& existing : instances.boxes) {
      hides_little = hides_little && intersection_over_other(mirrored, existing) < 0.30;
    }
    if (!hides_little) continue;
    std::vector<cv::Point> polygon;
    PixelSegment flipped;
    for (const auto& q : instances.segments[j]) {
      polygon.emplace_back(static_cast<int>(q.x), static_cast<int>(q.y));
      flipped.emplace_back(w - q.x, q.y);
    }
    instances.cls.push_back(instances.cls[j]);
    instances.boxes.push_back(mirrored);
    instances.segments.push_back(std::move(flipped));
    cv::drawContours(paste_mask, std::vector<std::vector<cv::Point>>{polygon}, -1, cv::Scalar(1),
                     cv::FILLED);
  }
  cv::Mat flipped_image, flipped_mask;
  cv::flip(image, flipped_image, 1);
  cv::flip(paste_mask, flipped_mask, 1);
  flipped_image.copyTo(image, flipped_mask);
}

}  // namespace qyolo::data
