// The fused LSQ+ fake-quant kernel against ATen's learnable fake-quant op, forward and backward
// (`qyolo bench fake-quant`, docs/BENCHMARKS.md).
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace qyolo::quant {

struct FakeQuantBenchOptions {
  // yolov5n's largest activation: batch 16 at 320 px.
  TORCH_ARG(std::vector<int64_t>, shape) = std::vector<int64_t>{16, 16, 160, 160};
  // Timed calls per kernel, after one untimed call.
  TORCH_ARG(int, repeats) = 10;
};

struct FakeQuantBenchResult {
  std::vector<int64_t> shape;
  double fused_s = 0;  // median seconds of quant::fake_quantize, forward + backward
  double aten_s = 0;   // the same of at::_fake_quantize_learnable_per_tensor_affine
  int threads = 0;     // intra-op threads

  nlohmann::json to_json() const;
  std::string to_string() const;
};

// Times an unsigned 4-bit LSQ+ activation quantizer of both kinds on `device`.
FakeQuantBenchResult bench_fake_quant(const FakeQuantBenchOptions& options, torch::Device device);

}  // namespace qyolo::quant
