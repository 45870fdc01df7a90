#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/error.h"

namespace qyolo::cli {

Command add_train(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("train", "train");
  return {sub,
          []() -> int { throw UsageError("'qyolo train' is not available in this build yet"); }};
}

}  // namespace qyolo::cli
