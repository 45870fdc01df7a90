// Errors that reach the user. Every message says what was wrong, where, and what is expected.
#pragma once

#include <stdexcept>
#include <string>

namespace qyolo {

// Process exit codes of the CLI.
enum class ExitCode : int { kOk = 0, kRuntime = 1, kUsage = 2 };

// Where in a user file a problem was found; line/column are 1-based, -1 when unknown.
struct SourceLocation {
  std::string file;
  int line = -1;
  int column = -1;

  // "file:line:column", "file:line" or "file", whichever parts are known.
  std::string str() const;
};

// A failure the user can act on. `exit_code` is kRuntime for failures while running
// (I/O, NaN loss, lost peer) and kUsage for bad flags, configs and model files.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::kRuntime);
  Error(const SourceLocation& where, const std::string& message,
        ExitCode code = ExitCode::kRuntime);

  ExitCode exit_code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad command line, config value or model description (exit code 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ExitCode::kUsage) {}
  UsageError(const SourceLocation& where, const std::string& message)
      : Error(where, message, ExitCode::kUsage) {}
};

}  // namespace qyolo
