// Export of a qyolo model (FP or quantized) to ONNX.
//
// Every quantized convolution becomes DequantizeLinear on its integer weights (int8 container,
// values within the trained bit width, BN and QC folded into the per-channel scale) and
// Clip → QuantizeLinear → DequantizeLinear on its input activation with the learned step and
// zero point; the trained bit width and quantizer kind are in each Q/DQ node's doc string.
// Binary activations (MPQ-YOLO) become α·sign(x − b) with Sub / GreaterOrEqual / Where. The
// Detect/Segment decode is part of the graph; NonMaxSuppression optionally too.
#pragma once

#include <torch/torch.h>

#include <filesystem>

#include "qyolo/nn/model.h"

namespace qyolo::exporter {

struct OnnxExportOptions {
  TORCH_ARG(int64_t, opset) = 13;   // 13..17
  TORCH_ARG(int64_t, imgsz) = 640;  // square input, a multiple of the model's max stride
  TORCH_ARG(int64_t, batch) = 1;
  TORCH_ARG(bool, dynamic) = false;      // symbolic batch dimension
  TORCH_ARG(bool, include_nms) = false;  // append NonMaxSuppression ("detections" output)
  TORCH_ARG(double, conf_thres) = 0.25;  // NMS score threshold
  TORCH_ARG(double, iou_thres) = 0.45;   // NMS IoU threshold
  TORCH_ARG(int64_t, max_det) = 300;     // NMS boxes per class and image
};

struct OnnxExportSummary {
  int64_t nodes = 0;
  int64_t quantized_convs = 0;  // convs with Q/DQ or binary weights
  int64_t fp_convs = 0;
  int64_t bytes = 0;  // size of the written file
};

// Writes `model` as ONNX to `path`. The model is put in eval mode and any quantization-correction
// affines are folded into it first (exact; see quant::fold_correction).
OnnxExportSummary export_onnx(nn::ModelImpl& model, const OnnxExportOptions& options,
                              const std::filesystem::path& path);

}  // namespace qyolo::exporter
