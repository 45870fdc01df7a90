#include "qyolo/core/input_file.h"

#include <filesystem>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"

namespace qyolo {

void require_input_file(const std::string& path, const std::string& flag) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    throw UsageError(flag + " " + path + ": no such file");
  }
  if (std::filesystem::is_directory(status)) {
    throw UsageError(flag + " " + path + ": is a directory, expected a file");
  }
  if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0) {
    throw UsageError(flag + " " + path + ": the file is empty (0 bytes)");
  }
}

void require_checkpoint_file(const std::string& path, const std::string& flag) {
  require_input_file(path, flag);
  if (!is_checkpoint_file(path)) {
    throw UsageError(flag + " " + path +
                     ": not a qyolo checkpoint (no QYOLOCKP header); checkpoints come from "
                     "qyolo train / qyolo correct");
  }
}

}  // namespace qyolo
