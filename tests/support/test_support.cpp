#include "support/test_support.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace qyolo::test {

std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("QYOLO_FIXTURES"); env && *env) return env;
  return QYOLO_DEFAULT_FIXTURES;
}

std::filesystem::path source_dir() { return QYOLO_SOURCE_DIR; }

std::filesystem::path temp_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = tag;
  if (info) name += std::string("_") + info->test_suite_name() + "_" + info->name();
  auto dir = std::filesystem::path(QYOLO_BINARY_DIR) / "test_tmp" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::filesystem::path model_yaml(const std::string& name) {
  return source_dir() / "configs" / "models" / (name + ".yaml");
}

c10::IValue load_pickle(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open fixture " + path.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return torch::pickle_load(bytes);
}

std::filesystem::path qyolo_bin() {
  if (const char* env = std::getenv("QYOLO_BIN"); env && *env) return env;
  return std::filesystem::path(QYOLO_BINARY_DIR) / "bin" / "qyolo";
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void with_file_size_limit(size_t bytes, const std::function<void()>& body) {
  rlimit saved{};
  if (getrlimit(RLIMIT_FSIZE, &saved) != 0) throw std::runtime_error("getrlimit failed");
  rlimit limited = saved;
  limited.rlim_cur = bytes;
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  if (setrlimit(RLIMIT_FSIZE, &limited) != 0) throw std::runtime_error("setrlimit failed");
  try {
    body();
  } catch (...) {
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous);
    throw;
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
}

double wall_clock_scale() {
#if defined(__SANITIZE_THREAD__)
  return 4.0;
#elif defined(__SANITIZE_ADDRESS__)
  return 2.0;
#else
  return 1.0;
#endif
}

}  // namespace qyolo::test
