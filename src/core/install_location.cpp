#include "qyolo/core/install_location.h"

#include <dlfcn.h>

// Defined in libqyolo_install_anchor.so (src/install_anchor).
extern "C" int qyolo_install_anchor();

namespace qyolo {

std::optional<std::filesystem::path> installed_configs_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&qyolo_install_anchor), &info) == 0 || !info.dli_fname) {
    return std::nullopt;
  }
  std::error_code ec;
  const auto library = std::filesystem::canonical(info.dli_fname, ec);  // through any symlink
  if (ec) return std::nullopt;
  // The relative path from the library folder to the configs, as the install rules lay them out.
  const auto configs = (library.parent_path() / QYOLO_LIBDIR_TO_CONFIGS).lexically_normal();
  if (!std::filesystem::is_directory(configs, ec)) return std::nullopt;
  return configs;
}

}  // namespace qyolo
