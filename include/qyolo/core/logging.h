// Console and run-folder logging on top of spdlog.
#pragma once

#include <filesystem>

namespace qyolo::logging {

enum class Verbosity { kQuiet, kNormal, kVerbose };

// Sets up the default spdlog logger: messages to stderr at the verbosity's level.
void init(Verbosity verbosity);

// Also writes every message (debug and up) to `file`, e.g. runs/train/exp/train.log.
void add_file(const std::filesystem::path& file);

// The verbosity chosen by init (progress bars stay silent when quiet).
Verbosity verbosity();

}  // namespace qyolo::logging
