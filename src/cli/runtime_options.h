// Flags every compute-heavy subcommand shares: where to run and with how many threads.
#pragma once

#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace qyolo::cli {

struct RuntimeOptions {
  std::optional<std::string> device;  // unset: the config's device (cpu by default)
  int threads = 0;

  void add_to(CLI::App* app);
  // Applies the thread count (`fallback_threads`, e.g. the config's train.threads, when
  // --threads was not given; see data::intra_op_threads for 0) and returns the device
  // (`fallback` when --device was not given), checking it exists in this build.
  torch::Device apply(const std::string& fallback = "cpu", int fallback_threads = 0) const;
};

}  // namespace qyolo::cli
