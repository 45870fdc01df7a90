#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_correct(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("correct", "correct");
  return {sub,
          []() -> int { throw UsageError("'qyolo correct' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
