#include "qyolo/core/read_file.h"

#include <array>
#include <cerrno>
#include <fstream>

#include "qyolo/core/error.h"

namespace qyolo {

std::string read_file(const std::filesystem::path& path, std::error_code& error) {
  error.clear();
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error.assign(errno != 0 ? errno : EIO, std::generic_category());
    return {};
  }
  // A folder opens like a file on Linux, and reading it then throws from inside the stream.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    error = std::make_error_code(std::errc::is_a_directory);
    return {};
  }
  std::string bytes;
  std::array<char, 1 << 16> chunk;
  while (file.read(chunk.data(), chunk.size()) || file.gcount() > 0) {
    bytes.append(chunk.data(), static_cast<size_t>(file.gcount()));
  }
  if (file.bad()) {
    error = std::make_error_code(std::errc::io_error);
    return {};
  }
  return bytes;
}

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  std::error_code error;
  std::string bytes = read_file(path, error);
  if (error) {
    throw Error(SourceLocation{path.string()}, "cannot read " + what + ": " + error.message());
  }
  return bytes;
}

}  // namespace qyolo
