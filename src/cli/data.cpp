#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_data(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("data", "data");
  return {sub,
          []() -> int { throw UsageError("'qyolo data' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
