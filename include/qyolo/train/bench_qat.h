// What QAT costs over FP training: `qyolo bench train-step` without and with w4a4 quantization,
// each in a fresh process of the qyolo binary so that its peak memory is its own
// (`qyolo bench qat`, docs/BENCHMARKS.md).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qyolo/train/bench_train_step.h"

namespace qyolo::train {

struct QatBenchOptions {
  // The step each process times; its quant is set per side (none / w4a4).
  TORCH_ARG(TrainStepBenchOptions, step);
  // FP / QAT pairs, alternated; the time ratio is their median.
  TORCH_ARG(int, rounds) = 3;
  // --threads and --device of each process (0: every core; unset: cpu).
  TORCH_ARG(int, threads) = 0;
  TORCH_ARG(std::optional<std::string>, device);
  // The qyolo binary that runs `bench train-step` (empty: this process's executable).
  TORCH_ARG(std::filesystem::path, executable);
};

struct QatBenchResult {
  std::vector<TrainStepBenchResult> fp, qat;  // one per round
  std::vector<double> time_ratios;            // QAT / FP step time of each round
  double time_ratio = 0;                      // their median
  double memory_ratio = 0;                    // peak tensor memory, first round
  double rss_ratio = 0;                       // peak RSS, first round

  nlohmann::json to_json() const;
  std::string to_string() const;
};

// The command line of one side: `<executable> -q bench train-step --json --quant <quant> ...`.
std::vector<std::string> train_step_command(const QatBenchOptions& options,
                                            const std::string& quant);

// Runs options.rounds FP / QAT pairs in ABBA order, so that load drifting during the run (these
// machines are shared) weighs on both sides. Throws qyolo::Error when a process fails.
QatBenchResult bench_qat(const QatBenchOptions& options);

}  // namespace qyolo::train
