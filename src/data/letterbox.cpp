#include "qyolo/data/letterbox.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace qyolo::data {
namespace {

// Python's round(): halves go to the even neighbour (the default FE_TONEAREST mode).
int round_half_even(double x) { return static_cast<int>(std::nearbyint(x)); }

}  // namespace

Letterboxed letterbox(const cv::Mat& image, std::array<int, 2> new_hw,
                      const LetterboxOptions& options) {
  TORCH_CHECK(!image.empty(), "letterbox: empty image");
  TORCH_CHECK(options.stride > 0, "letterbox: stride must be positive");
  const int h0 = image.rows, w0 = image.cols;
  double r = std::min(static_cast<double>(new_hw[0]) / h0, static_cast<double>(new_hw[1]) / w0);
  if (!options.scaleup) r = std::min(r, 1.0);

  RatioPad placement;
  placement.ratio = {r, r};
  int unpad_w = round_half_even(w0 * r), unpad_h = round_half_even(h0 * r);
  double dw = new_hw[1] - unpad_w, dh = new_hw[0] - unpad_h;
  if (options.auto_pad) {
    dw = static_cast<int>(dw) % options.stride;
    dh = static_cast<int>(dh) % options.stride;
  } else if (options.scale_fill) {
    dw = dh = 0.0;
    unpad_w = new_hw[1];
    unpad_h = new_hw[0];
    placement.ratio = {static_cast<double>(new_hw[1]) / w0, static_cast<double>(new_hw[0]) / h0};
  }
  dw /= 2;
  dh /= 2;
  placement.pad = {dw, dh};

  cv::Mat resized = image;
  if (unpad_w != w0 || unpad_h != h0) {
    cv::resize(image, resized, cv::Size(unpad_w, unpad_h), 0, 0, cv::INTER_LINEAR);
  }
  const int top = round_half_even(dh - 0.1), bottom = round_half_even(dh + 0.1);
  const int left = round_half_even(dw - 0.1), right = round_half_even(dw + 0.1);
  Letterboxed out;
  cv::copyMakeBorder(resized, out.image, top, bottom, left, right, cv::BORDER_CONSTANT,
                     options.color);
  out.placement = placement;
  return out;
}

void clip_boxes(torch::Tensor& boxes, std::array<int64_t, 2> hw) {
  const double h = static_cast<double>(hw[0]), w = static_cast<double>(hw[1]);
  boxes.select(1, 0).clamp_(0, w);
  boxes.select(1, 1).clamp_(0, h);
  boxes.select(1, 2).clamp_(0, w);
  boxes.select(1, 3).clamp_(0, h);
}

torch::Tensor scale_boxes(std::array<int64_t, 2> img1_hw, torch::Tensor boxes,
                          std::array<int64_t, 2> img0_hw, const RatioPad* placement) {
  double gain, pad_w, pad_h;
  if (placement == nullptr) {
    gain = std::min(static_cast<double>(img1_hw[0]) / img0_hw[0],
                    static_cast<double>(img1_hw[1]) / img0_hw[1]);
    pad_w = (img1_hw[1] - img0_hw[1] * gain) / 2;
    pad_h = (img1_hw[0] - img0_hw[0] * gain) / 2;
  } else {
    gain = placement->ratio[0];
    pad_w = placement->pad[0];
    pad_h = placement->pad[1];
  }
  boxes = boxes.clone();
  boxes.select(1, 0).sub_(pad_w);
  boxes.select(1, 2).sub_(pad_w);
  boxes.select(1, 1).sub_(pad_h);
  boxes.select(1, 3).sub_(pad_h);
  boxes.narrow(1, 0, 4).div_(gain);
  clip_boxes(boxes, img0_hw);
  return boxes;
}

}  // namespace qyolo::data
