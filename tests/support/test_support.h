// Helpers shared by qyolo's test suites.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace qyolo::test {

// Folder with the golden reference tensors: $QYOLO_FIXTURES, else tests/fixtures
// in the source tree.
std::filesystem::path fixtures_dir();

// The repository root (for configs/ and tests/data/).
std::filesystem::path source_dir();

// A fresh, empty temporary folder unique to the calling test.
std::filesystem::path temp_dir(const std::string& tag);

// Writes text to a file, creating its folders (bytes as given: no newline translation).
void write_text(const std::filesystem::path& path, const std::string& text);

// The bytes of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

// A model yaml shipped in configs/models, e.g. model_yaml("yolov5n").
std::filesystem::path model_yaml(const std::string& name);

// Reads a file written by Python's torch.save(plain_dict) (or torch::pickle_save).
c10::IValue load_pickle(const std::filesystem::path& path);

// Path of the built qyolo executable ($QYOLO_BIN, set by ctest).
std::filesystem::path qyolo_bin();

// Runs a shell command, returns its exit code and (stdout+stderr) text.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);

// The factor by which a wall-clock bound in a test is widened in this build: sanitizers slow every
// instrumented process several times (ThreadSanitizer most), and a bound that shows "fails within
// the timeout instead of hanging" must not become a measure of the sanitizer. 1 otherwise.
double wall_clock_scale();

// Runs `body` while writes past `bytes` in any file fail as on a full disk (RLIMIT_FSIZE, with
// SIGXFSZ ignored), then restores the limit.
void with_file_size_limit(size_t bytes, const std::function<void()>& body);

}  // namespace qyolo::test
