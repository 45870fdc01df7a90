#include "qyolo/core/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace qyolo::logging {
namespace {
Verbosity g_verbosity = Verbosity::kNormal;
}

void init(Verbosity verbosity) {
  g_verbosity = verbosity;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_pattern("%^%v%$");
  switch (verbosity) {
    case Verbosity::kQuiet:
      console->set_level(spdlog::level::warn);
      break;
    case Verbosity::kNormal:
      console->set_level(spdlog::level::info);
      break;
    case Verbosity::kVerbose:
      console->set_level(spdlog::level::debug);
      break;
  }
  auto logger = std::make_shared<spdlog::logger>("qyolo", console);
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void add_file(const std::filesystem::path& file) {
  if (!file.parent_path().empty()) std::filesystem::create_directories(file.parent_path());
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string());
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  sink->set_level(spdlog::level::debug);
  spdlog::default_logger()->sinks().push_back(sink);
}

Verbosity verbosity() { return g_verbosity; }

}  // namespace qyolo::logging
