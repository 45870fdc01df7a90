#include "qyolo/core/error.h"

namespace qyolo {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

Error::Error(const std::string& message, ExitCode code)
    : std::runtime_error(message), code_(code) {}

Error::Error(const SourceLocation& where, const std::string& message, ExitCode code)
    : std::runtime_error(where.str() + ": " + message), code_(code) {}

}  // namespace qyolo
