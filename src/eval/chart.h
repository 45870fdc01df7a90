// A minimal line/heat-map chart on an OpenCV canvas, shared by the plot functions.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace qyolo::eval {

class Chart {
 public:
  // A panel of `size` whose plot area leaves room for ticks, labels and a legend on the right.
  Chart(cv::Mat& canvas, cv::Rect panel, double x0, double x1, double y0, double y1,
        int legend_width = 0);

  void axes(const std::string& title, const std::string& xlabel, const std::string& ylabel);
  void line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color,
            int thickness = 1, bool dotted = false, bool markers = false);
  void legend_entry(const std::string& text, const cv::Scalar& color, int thickness = 1);

  cv::Point to_pixel(double x, double y) const;

 private:
  cv::Mat& canvas_;
  cv::Rect area_;
  double x0_, x1_, y0_, y1_;
  int legend_x_ = 0, legend_y_ = 0;
};

// Text helper: draws `text` with its top-left corner at `origin`.
void put_text(cv::Mat& canvas, const std::string& text, cv::Point origin, double scale,
              const cv::Scalar& color, int thickness = 1);

// Formats like Python's f"{v:.{digits}f}".
std::string fixed(double v, int digits);

}  // namespace qyolo::eval
