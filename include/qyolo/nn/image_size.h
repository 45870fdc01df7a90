// Input sizes a model takes: multiples of its largest stride, so every level's feature map
// tiles the image exactly. ultralytics' check_img_size rounds other sizes up with a warning;
// qyolo refuses them before any work, naming the nearest sizes that are valid, so the size a
// run reports is the size the user asked for (train, eval, correct, export and detect alike).
#pragma once

#include <cstdint>
#include <string>

#include "qyolo/nn/model.h"

namespace qyolo::nn {

// Throws qyolo::UsageError unless `size` is a positive multiple of `stride`; `what` names the
// setting in the message (e.g. "--img", "train.imgsz").
void check_image_size(int64_t size, int64_t stride, const std::string& what);

// The stride training sizes must be a multiple of: the model's largest, at least 32 (the grid
// size `gs` of ultralytics train.py).
int64_t training_stride(const ModelImpl& model);

}  // namespace qyolo::nn
