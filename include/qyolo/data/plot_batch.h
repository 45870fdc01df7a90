// Picture of a training batch (train_batch0.jpg): up to 16 images in a square grid with their
// boxes, class names and masks in their class_color, to check what the model is fed.
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "qyolo/data/collate.h"

namespace qyolo::data {

struct BatchPlotOptions {
  int max_size = 1920;    // longest side of the grid in pixels
  int max_subplots = 16;  // 3x3 for 9 images, 4x4 for up to 16
  double mask_alpha = 0.5;
  // Predictions (targets with a 7th column, the confidence) below this are not drawn.
  double conf_threshold = 0.25;
};

// BGR picture of the batch; `names` maps class ids to labels (ids are shown when missing).
// Targets with a 7th column are predictions: labelled "name conf", drawn from conf_threshold up.
cv::Mat plot_batch(const Batch& batch, const std::vector<std::string>& names,
                   const BatchPlotOptions& options = {});

// Writes plot_batch() to `path` (format from the extension, e.g. train_batch0.jpg).
void save_batch_plot(const Batch& batch, const std::vector<std::string>& names,
                     const std::filesystem::path& path, const BatchPlotOptions& options = {});

}  // namespace qyolo::data
