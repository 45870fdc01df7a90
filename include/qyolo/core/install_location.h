// Where the files qyolo installs next to its libraries are, found at run time from the location
// of the loaded libqyolo_install_anchor.so: an installed tree works wherever it is moved or
// copied to, with no environment variable and without the source tree.
#pragma once

#include <filesystem>
#include <optional>

namespace qyolo {

// <prefix>/share/qyolo/configs of the installed qyolo this program runs with; empty in the build
// tree (or when that folder is missing).
std::optional<std::filesystem::path> installed_configs_dir();

}  // namespace qyolo
