// Model size and operation counts of a (mixed-precision) quantized model against FP32. MPQ-YOLO
// does not say how it counts, so the size is given both over all parameters and over conv weights
// only; OPs follow Bi-Real Net.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qyolo/nn/model.h"

namespace qyolo::quant {

// One convolution: weight parameters, MACs at the profiled image size and its precision
// (32 = fp).
struct ConvCost {
  std::string path;
  int layer = 0;
  int64_t weight_params = 0;
  int64_t macs = 0;
  int weight_bits = 32;
  int act_bits = 32;
};

// What is counted:
// - size: Σ conv weight params · weight bits, plus every other parameter (conv biases, BN,
//   anchors-free extras such as implicit layers) at 32 bits (`other_params`); buffers are not
//   counted; fp32 size = all those parameters at 32 bits;
// - conv weight size: Σ conv weight params · weight bits alone, against 32 bits each (the
//   count that leaves out the 32-bit biases and BN);
// - OPs: Σ MACs · b_w · b_a / 64 over convs with a quantized weight or input, plus the MACs of
//   fully fp convs; fp32 OPs = Σ MACs. Only convolutions count (BN, activations, upsampling,
//   the Detect decode are left out).
struct CompressionReport {
  std::vector<ConvCost> convs;
  int64_t other_params = 0;
  int imgsz = 0;

  double size_bits = 0;
  double fp32_size_bits = 0;
  double conv_weight_bits = 0;
  double fp32_conv_weight_bits = 0;
  double ops = 0;
  double fp32_ops = 0;
  double average_weight_bits = 0;       // Σ params·bits / Σ params over conv weights
  double mac_weighted_weight_bits = 0;  // Σ MACs·bits / Σ MACs over conv weights

  double size_ratio() const { return fp32_size_bits / size_bits; }
  double conv_weight_size_ratio() const { return fp32_conv_weight_bits / conv_weight_bits; }
  double ops_ratio() const { return fp32_ops / ops; }

  std::string to_string() const;
  nlohmann::json to_json() const;
};

CompressionReport compression_report(std::vector<ConvCost> convs, int64_t other_params, int imgsz);

// The report of `model` as quantized now (its ConvQuantizers), with MACs from nn::summarize at
// imgsz (convs in execution order).
CompressionReport compression_report(nn::ModelImpl& model, int imgsz);

}  // namespace qyolo::quant
