#include "qyolo/core/run_dir.h"

namespace qyolo {

namespace fs = std::filesystem;

fs::path increment_run_dir(const fs::path& base, bool exist_ok) {
  if (exist_ok || !fs::exists(base)) return base;
  for (int n = 2;; ++n) {
    fs::path candidate = base.string() + std::to_string(n);
    if (!fs::exists(candidate)) return candidate;
  }
}

}  // namespace qyolo
