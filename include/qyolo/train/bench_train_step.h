// The time and memory of one full training step (forward, task loss, backward, SGD step) on
// random images and targets (`qyolo bench train-step`, docs/BENCHMARKS.md). Every figure comes
// with its thread count; the machine load is the caller's to record.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "qyolo/core/config.h"

namespace qyolo::train {

struct TrainStepBenchOptions {
  TORCH_ARG(std::string, model) = "configs/models/yolov5n.yaml";
  TORCH_ARG(int64_t, batch) = 16;
  TORCH_ARG(int64_t, img) = 320;
  // "none", "w<bits>a<bits>" (bits 2-8, e.g. w4a4) or an experiment yaml (see bench_quant_config).
  TORCH_ARG(std::string, quant) = "none";
  TORCH_ARG(int, steps) = 10;  // timed
  TORCH_ARG(int, warmup) = 3;  // untimed, first
  // A chrome://tracing file of two more steps, profiled after the timed ones (empty: none).
  TORCH_ARG(std::string, trace);
};

struct TrainStepBenchResult {
  std::string model;
  int64_t batch = 0;
  int64_t img = 0;
  std::string quant;
  std::string device;
  int threads = 0;  // intra-op threads
  int steps = 0;
  int warmup = 0;
  double step_s = 0;       // median seconds of the timed steps
  double peak_rss_mb = 0;  // peak resident set size of the process
  // Peak bytes of live CPU tensors from the allocator's reports (the PyTorch profiler's memory
  // view); unlike peak RSS it does not depend on how malloc reuses freed blocks.
  double peak_tensor_mb = 0;

  nlohmann::json to_json() const;
  static TrainStepBenchResult from_json(const nlohmann::json& j);
  std::string to_string() const;
};

// The quantization of a `quant` spec: none; plain QAT at w<bits>a<bits>; or an experiment yaml's
// quant section with every group active (its last PNQ stage, e.g. MPQ's binary backbone).
// Throws UsageError for anything else and for an experiment whose quant.enabled is false.
config::QuantConfig bench_quant_config(const std::string& spec);

// Runs options.warmup + options.steps training steps of the model on `device`. Measure it in a
// process of its own: the peak RSS is the process's.
TrainStepBenchResult bench_train_step(const TrainStepBenchOptions& options, torch::Device device);

}  // namespace qyolo::train
