// Reading gzip files (RFC 1952) with zlib.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qyolo::data {

// Decompresses every gzip member in `compressed` and checks each member's CRC-32 and size.
// Throws qyolo::Error naming `source` when the stream is not gzip, truncated or corrupt.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& source);

// Reads and decompresses a .gz file.
std::vector<uint8_t> read_gzip_file(const std::filesystem::path& path);

}  // namespace qyolo::data
