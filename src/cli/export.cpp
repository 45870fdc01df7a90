#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_export(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("export", "export");
  return {sub,
          []() -> int { throw UsageError("'qyolo export' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
