#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_bench(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("bench", "bench");
  return {sub,
          []() -> int { throw UsageError("'qyolo bench' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
