// Resize-and-pad to a target shape (ultralytics letterbox) and the inverse mapping of boxes.
#pragma once

#include <torch/torch.h>

#include <array>
#include <opencv2/core.hpp>

namespace qyolo::data {

struct LetterboxOptions {
  // Pad only up to the next multiple of `stride` (minimum rectangle) instead of the full shape.
  bool auto_pad = true;
  // Stretch to the full shape without keeping the aspect ratio (only when auto_pad is off).
  bool scale_fill = false;
  // Allow enlarging; off keeps small images small (better validation mAP).
  bool scaleup = true;
  int stride = 32;
  cv::Scalar color{114, 114, 114};
};

// How an image was placed in its letterboxed canvas: scale (width, height) and the padding
// (dw, dh) on each side, half the total padding (fractional when the total is odd).
struct RatioPad {
  std::array<double, 2> ratio{1.0, 1.0};
  std::array<double, 2> pad{0.0, 0.0};
};

struct Letterboxed {
  cv::Mat image;
  RatioPad placement;
};

// `new_hw` is the target (height, width).
Letterboxed letterbox(const cv::Mat& image, std::array<int, 2> new_hw,
                      const LetterboxOptions& options = {});

// Clamps xyxy boxes (n, >=4) in place to an image of (height, width).
void clip_boxes(torch::Tensor& boxes, std::array<int64_t, 2> hw);

// Maps xyxy boxes from the letterboxed image (img1_hw) back to the original (img0_hw) and clips
// them. Without `placement` the gain and padding are recomputed from the shapes.
torch::Tensor scale_boxes(std::array<int64_t, 2> img1_hw, torch::Tensor boxes,
                          std::array<int64_t, 2> img0_hw, const RatioPad* placement = nullptr);

}  // namespace qyolo::data
