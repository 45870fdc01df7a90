#include "chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace qyolo::eval {

namespace {
const cv::Scalar kChartInk(0, 0, 0);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
}  // namespace

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

void put_text(cv::Mat& canvas, const std::string& text, cv::Point origin, double scale,
              const cv::Scalar& color, int thickness) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, thickness, &baseline);
  cv::putText(canvas, text, origin + cv::Point(0, size.height), kFont, scale, color, thickness,
              cv::LINE_AA);
}

Chart::Chart(cv::Mat& canvas, cv::Rect panel, double x0, double x1, double y0, double y1,
             int legend_width)
    : canvas_(canvas), x0_(x0), x1_(x1), y0_(y0), y1_(y1) {
  const int left = 70, right = 20 + legend_width, top = 40, bottom = 55;
  area_ = cv::Rect(panel.x + left, panel.y + top, panel.width - left - right,
                   panel.height - top - bottom);
  legend_x_ = area_.x + area_.width + 15;
  legend_y_ = area_.y + 5;
  if (y1_ <= y0_) {
    y1_ = y0_ + 1;
  }
  if (x1_ <= x0_) {
    x1_ = x0_ + 1;
  }
}

cv::Point Chart::to_pixel(double x, double y) const {
  const double fx = (x - x0_) / (x1_ - x0_), fy = (y - y0_) / (y1_ - y0_);
  return {area_.x + static_cast<int>(std::lround(fx * area_.width)),
          area_.y + area_.height - static_cast<int>(std::lround(fy * area_.height))};
}

void Chart::axes(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  cv::rectangle(canvas_, area_, kChartInk, 1);
  for (int i = 0; i <= 5; ++i) {
    const double fx = x0_ + (x1_ - x0_) * i / 5.0, fy = y0_ + (y1_ - y0_) * i / 5.0;
    const cv::Point px = to_pixel(fx, y0_), py = to_pixel(x0_, fy);
    cv::line(canvas_, px, px + cv::Point(0, 5), kChartInk, 1);
    cv::line(canvas_, py, py - cv::Point(5, 0), kChartInk, 1);
    const int digits = (x1_ - x0_) >= 10 ? 0 : 1;
    put_text(canvas_, fixed(fx, digits), px + cv::Point(-10, 9), 0.4, kChartInk);
    const int ydigits = std::abs(y1_ - y0_) >= 10 ? 0 : (std::abs(y1_ - y0_) >= 1 ? 1 : 3);
    put_text(canvas_, fixed(fy, ydigits), py + cv::Point(-60, -6), 0.4, kChartInk);
  }
  put_text(canvas_, title, {area_.x, area_.y - 30}, 0.55, kChartInk, 1);
  put_text(canvas_, xlabel, {area_.x + area_.width / 2 - 30, area_.y + area_.height + 28}, 0.5,
           kChartInk);
  if (!ylabel.empty()) {
    // A vertical label: draw horizontally on a patch and rotate it.
    int baseline = 0;
    const cv::Size size = cv::getTextSize(ylabel, kFont, 0.5, 1, &baseline);
    cv::Mat patch(size.height + baseline + 4, size.width + 4, CV_8UC3, cv::Scalar::all(255));
    put_text(patch, ylabel, {2, 2}, 0.5, kChartInk);
    cv::Mat rotated;
    cv::rotate(patch, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int x = std::max(0, area_.x - 68);
    const int y =
        std::clamp(area_.y + area_.height / 2 - rotated.rows / 2, 0, canvas_.rows - rotated.rows);
    if (x + rotated.cols <= canvas_.cols) {
      rotated.copyTo(canvas_(cv::Rect(x, y, rotated.cols, rotated.rows)));
    }
  }
}

void Chart::line(const std::vector<double>& x, const std::vector<double>& y,
                 const cv::Scalar& color, int thickness, bool dotted, bool markers) {
  std::vector<cv::Point> points;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      points.push_back(to_pixel(x[i], y[i]));
    }
  }
  cv::Mat roi = canvas_(area_ & cv::Rect(0, 0, canvas_.cols, canvas_.rows));
  const cv::Point offset(-area_.x, -area_.y);
  for (size_t i = 1; i < points.size(); ++i) {
    if (dotted && i % 2 == 0) {
      continue;
    }
    cv::line(roi, points[i - 1] + offset, points[i] + offset, color, thickness, cv::LINE_AA);
  }
  if (markers) {
    for (const auto& p : points) {
      cv::circle(roi, p + offset, 2, color, cv::FILLED, cv::LINE_AA);
    }
  }
}

void Chart::legend_entry(const std::string& text, const cv::Scalar& color, int thickness) {
  cv::line(canvas_, {legend_x_, legend_y_ + 7}, {legend_x_ + 25, legend_y_ + 7}, color,
           std::max(2, thickness), cv::LINE_AA);
  put_text(canvas_, text, {legend_x_ + 32, legend_y_}, 0.42, kChartInk);
  legend_y_ += 20;
}

}  // namespace qyolo::eval
