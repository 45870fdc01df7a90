// qyolo: the command-line entry point. Each subcommand lives in its own file and is a thin
// shell around a library function; this file dispatches and maps failures to exit codes:
// 0 ok, 1 runtime failure, 2 usage or config error.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/core/allocator.h"
#include "qyolo/core/build_info.h"
#include "qyolo/core/error.h"
#include "qyolo/core/logging.h"

int main(int argc, char** argv) {
  using qyolo::ExitCode;
  qyolo::retain_freed_memory();
  CLI::App app{"qyolo: quantization-aware training of YOLO detectors"};
  app.set_version_flag("--version", std::string("qyolo ") + QYOLO_VERSION);
  app.require_subcommand(1);
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log output (debug level)");
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors; no progress bars");

  const std::vector<qyolo::cli::Command> commands = {
      qyolo::cli::add_train(app),  qyolo::cli::add_correct(app), qyolo::cli::add_eval(app),
      qyolo::cli::add_export(app), qyolo::cli::add_detect(app),  qyolo::cli::add_info(app),
      qyolo::cli::add_data(app),   qyolo::cli::add_bench(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help and version itself and returns 0 for them; anything else is usage.
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }

  qyolo::logging::init(quiet     ? qyolo::logging::Verbosity::kQuiet
                       : verbose ? qyolo::logging::Verbosity::kVerbose
                                 : qyolo::logging::Verbosity::kNormal);
  for (const auto& command : commands) {
    if (!command.app->parsed()) continue;
    try {
      return command.run();
    } catch (const qyolo::Error& e) {
      spdlog::error("qyolo {}: {}", command.app->get_name(), e.what());
      return static_cast<int>(e.exit_code());
    } catch (const c10::Error& e) {
      spdlog::error("qyolo {}: {}", command.app->get_name(), e.what_without_backtrace());
      return static_cast<int>(ExitCode::kRuntime);
    } catch (const std::exception& e) {
      spdlog::error("qyolo {}: {}", command.app->get_name(), e.what());
      return static_cast<int>(ExitCode::kRuntime);
    }
  }
  return static_cast<int>(ExitCode::kUsage);
}
