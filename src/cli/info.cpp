#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_info(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("info", "info");
  return {sub,
          []() -> int { throw UsageError("'qyolo info' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
