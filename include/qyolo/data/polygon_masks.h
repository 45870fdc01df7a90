// Instance masks rasterised from polygons (ultralytics utils/segment/dataloaders.py).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "qyolo/data/instances.h"

namespace qyolo::data {

// One uint8 {0,1} mask of `segment` in an image of `image_size`, filled at full resolution and
// then resized (bilinear) to image_size / downsample.
cv::Mat polygon_mask(cv::Size image_size, const PixelSegment& segment, int downsample);

// One mask per instance, (h/downsample, w/downsample) each.
std::vector<cv::Mat> polygon_masks(cv::Size image_size, const std::vector<PixelSegment>& segments,
                                   int downsample);

struct OverlapMask {
  cv::Mat mask;               // CV_32S: 0 background, k for the k-th instance of `order`
  std::vector<size_t> order;  // instances sorted by decreasing mask area
};

// All instances in one mask: larger instances first, smaller ones drawn over them, so each
// pixel holds 1 + the rank of the smallest instance covering it.
OverlapMask polygon_masks_overlap(cv::Size image_size, const std::vector<PixelSegment>& segments,
                                  int downsample);

}  // namespace qyolo::data
