// The model table of `qyolo info`: layers, parameters and convolution MACs counted from the graph.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qyolo/nn/model.h"

namespace qyolo::nn {

// One nn::Conv2d as it runs on a 1×ch×imgsz×imgsz input.
struct ConvProfile {
  std::string path;  // e.g. "model.2.cv1.conv"
  int layer = 0;
  int64_t in_c = 0, out_c = 0, k = 0, s = 0, p = 0, groups = 1;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t macs = 0;  // out_h·out_w·out_c·(in_c/groups)·k·k
  int64_t weight_numel = 0, bias_numel = 0;
};

struct ModelSummary {
  int64_t imgsz = 0;
  std::vector<LayerInfo> layers;
  std::vector<int64_t> layer_macs;  // conv MACs per top-level layer
  std::vector<ConvProfile> convs;   // in execution order (like forward hooks fire)
  int64_t params = 0;
  int64_t gradients = 0;     // parameters that require grad
  int64_t module_count = 0;  // the reference's "N layers"
  int64_t conv_macs = 0;
  // 2·conv MACs / 1e9. Bias, BatchNorm, activations, pooling and upsampling are not counted, so
  // this is slightly below thop's figure that ultralytics prints (16.43 vs 16.5 for yolov5s).
  double gflops() const { return 2.0 * static_cast<double>(conv_macs) / 1e9; }

  // The per-layer table (index, from, n, params, module, arguments) and the totals line.
  std::string to_string() const;
  // The totals and, under "table", one object per layer with its conv MACs.
  nlohmann::json to_json() const;
};

// Runs one eval-mode forward of zeros at imgsz×imgsz (no grad) to measure every conv, leaving
// the model's mode and ConvHooks as they were.
ModelSummary summarize(ModelImpl& model, int64_t imgsz = 640);

}  // namespace qyolo::nn
