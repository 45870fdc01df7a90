// Flags every compute-heavy subcommand shares: where to run and with how many threads.
#pragma once

#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <string>

namespace qyolo::cli {

struct RuntimeOptions {
  std::string device = "cpu";
  int threads = 0;

  void add_to(CLI::App* app);
  // Applies the thread count and returns the device, checking it exists in this build.
  torch::Device apply() const;
};

}  // namespace qyolo::cli
