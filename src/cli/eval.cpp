#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_eval(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("eval", "eval");
  return {sub,
          []() -> int { throw UsageError("'qyolo eval' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
