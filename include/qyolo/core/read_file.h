// Reading a whole file into memory, with an error that says which file and why.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace qyolo {

// The bytes of `path`. Throws qyolo::Error "<path>: cannot read <what>: <reason>", the reason
// being the system's ("No such file or directory", "Is a directory", "Permission denied", ...).
std::string read_file(const std::filesystem::path& path, const std::string& what = "the file");

// As above, for callers to whom an unreadable file is not an error: sets `error` and returns ""
// instead of throwing.
std::string read_file(const std::filesystem::path& path, std::error_code& error);

}  // namespace qyolo
