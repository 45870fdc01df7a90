#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_detect(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("detect", "detect");
  return {sub,
          []() -> int { throw UsageError("'qyolo detect' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
