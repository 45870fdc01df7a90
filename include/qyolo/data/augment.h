// Training augmentations of ultralytics yolov5 v7.0 (utils/augmentations.py and
// utils/segment/augmentations.py) on BGR uint8 images and pixel-space Instances.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "qyolo/data/instances.h"
#include "qyolo/data/sample_rng.h"

namespace qyolo::data {

// Parameters of random_perspective (the hyp keys of the same names).
struct PerspectiveParams {
  double degrees = 0.0;
  double translate = 0.1;
  double scale = 0.5;
  double shear = 0.0;
  double perspective = 0.0;
};

// Which transformed boxes survive: at least `wh_thr` pixels wide and high, aspect ratio below
// `ar_thr`, and at least `area_thr` of the (scaled) area they had before. Boxes are xyxy.
std::vector<bool> box_candidates(const std::vector<std::array<double, 4>>& before,
                                 const std::vector<std::array<double, 4>>& after,
                                 double wh_thr = 2.0, double ar_thr = 100.0, double area_thr = 0.1);

// The closed polygon resampled to `n` points evenly spaced in vertex index (np.interp).
PixelSegment resample_segment(const PixelSegment& segment, int n = 1000);

// Box of the points inside [0, w] x [0, h]; all zeros when none is inside.
std::array<double, 4> segment_box(const PixelSegment& segment, double w, double h);

// Random rotation/scale/shear/translation/perspective about the image centre. The output is
// the input size shrunk by `border` (negative: the mosaic's -s/2 crops its 2s canvas to s).
// Segments (when present) are resampled to 1000 points and transformed, and boxes are taken
// from them; otherwise box corners are transformed. Degenerate results are dropped by
// box_candidates (area_thr 0.01 with segments, 0.10 without).
cv::Mat random_perspective(const cv::Mat& image, Instances& instances,
                           const PerspectiveParams& params, SampleRng& rng,
                           std::array<int, 2> border = {0, 0});

// HSV colour jitter in place via lookup tables; gains are the hyp hsv_h, hsv_s, hsv_v.
void augment_hsv(cv::Mat& bgr, double hgain, double sgain, double vgain, SampleRng& rng);

// Blends `other` into `image` with a Beta(32, 32) ratio and concatenates the labels.
void mixup(cv::Mat& image, Instances& instances, const cv::Mat& other,
           const Instances& other_instances, SampleRng& rng);

// Copy-paste of segmented instances: a random fraction `p` of them is mirrored left-right and
// pasted where it hides less than 30% of any existing box.
void copy_paste(cv::Mat& image, Instances& instances, double p, SampleRng& rng);

}  // namespace qyolo::data
