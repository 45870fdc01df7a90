// Evaluation and training plots written as PNG with OpenCV, laid out like ultralytics' figures.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "qyolo/eval/ap_per_class.h"
#include "qyolo/eval/confusion_matrix.h"

namespace qyolo::eval {

// Class name for an index, or the index itself when `names` is too short.
std::string class_name(const std::vector<std::string>& names, int64_t cls);

// Precision-recall curve at IoU 0.5 per class (legend with AP@0.5 when < 21 classes) and the
// mean curve in bold blue labelled with mAP@0.5 (PR_curve.png).
void plot_pr_curve(const ApPerClass& result, const std::vector<std::string>& names,
                   const std::filesystem::path& file);

// A metric (F1, precision or recall) against confidence per class, plus the smoothed mean with
// its best value and confidence (F1_curve.png, P_curve.png, R_curve.png).
void plot_metric_curve(const torch::Tensor& confidence, const torch::Tensor& curves,
                       const std::vector<int64_t>& classes, const std::vector<std::string>& names,
                       const std::string& ylabel, const std::filesystem::path& file);

// All four curves of ap_per_class into `dir` with the ultralytics file names.
void plot_ap_curves(const ApPerClass& result, const std::vector<std::string>& names,
                    const std::filesystem::path& dir, const std::string& prefix = "");

// Heat map of the (column-normalised) matrix with cell values when nc < 30
// (confusion_matrix.png).
void plot_confusion_matrix(const ConfusionMatrix& matrix, const std::vector<std::string>& names,
                           const std::filesystem::path& file, bool normalize = true);

// A grid with one panel per results.csv column after the first (epoch): values and a smoothed
// dotted line. Throws qyolo::Error when the file cannot be read or has no rows.
void plot_results(const std::filesystem::path& results_csv, const std::filesystem::path& file);

// oscillation.csv (epoch, path, layer, oscillating_fraction, frozen, weights per quantized
// layer) as the percentage of oscillating weights per epoch: every layer thin, the
// weight-weighted mean over all layers bold (oscillation.png).
void plot_oscillation(const std::filesystem::path& oscillation_csv,
                      const std::filesystem::path& file);

// results.csv of a run with train.val_latent: mAP@0.5:0.95 (bold) and mAP@0.5 (thin) per
// epoch of the EMA model and of the latent weights it averages (latent_vs_ema.png).
void plot_latent_vs_ema(const std::filesystem::path& results_csv,
                        const std::filesystem::path& file);

// Draws detections (n, >=6) x1,y1,x2,y2,conf,cls on a BGR image: boxes in their class_color with
// "name conf" labels; `masks` (n,h,w) of the image size, when given, are blended in first.
void draw_detections(cv::Mat& image, const torch::Tensor& detections,
                     const std::vector<std::string>& names, const torch::Tensor& masks = {},
                     double mask_alpha = 0.5, bool show_conf = true);

}  // namespace qyolo::eval
