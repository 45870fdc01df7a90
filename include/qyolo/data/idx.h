// IDX files (the MNIST / Fashion-MNIST container): unsigned-byte arrays with big-endian dims.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace qyolo::data {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // row-major, product(dims) bytes

  int64_t count() const { return dims.empty() ? 0 : dims.front(); }
  // Bytes per item: the product of every dimension but the first.
  int64_t item_size() const;
  const uint8_t* item(int64_t i) const { return data.data() + i * item_size(); }
};

// Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed when the name ends in .gz.
// Throws qyolo::Error naming the file when it is missing, not IDX, another type or truncated.
IdxArray read_idx(const std::filesystem::path& path);

}  // namespace qyolo::data
