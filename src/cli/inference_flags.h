// Flags shared by the commands that run a model and NMS (eval, detect): input size and the NMS
// thresholds, with each command's own defaults.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace qyolo::cli {

void add_inference_flags(CLI::App* app, int& img, double& conf, double& iou, int64_t& max_det);

}  // namespace qyolo::cli
