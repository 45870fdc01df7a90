// Results folders of runs (runs/train/exp, runs/val/exp, runs/detect/exp): a new run never writes
// into an earlier one's folder unless asked to.
#pragma once

#include <filesystem>

namespace qyolo {

// ultralytics increment_path: `base` if free (or exist_ok), else base2, base3, ...
std::filesystem::path increment_run_dir(const std::filesystem::path& base, bool exist_ok);

}  // namespace qyolo
