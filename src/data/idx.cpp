#include "qyolo/data/idx.h"

#include <string>

#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"
#include "qyolo/data/gzip.h"

namespace qyolo::data {

int64_t IdxArray::item_size() const {
  int64_t size = 1;
  for (size_t d = 1; d < dims.size(); ++d) size *= dims[d];
  return size;
}

IdxArray read_idx(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (path.extension() == ".gz") {
    bytes = read_gzip_file(path);
  } else {
    const std::string file = read_file(path, "the IDX file");
    bytes.assign(file.begin(), file.end());
  }
  // Magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0) {
    throw Error(SourceLocation{path.string()}, "not an IDX file (bad magic number)");
  }
  if (bytes[2] != 0x08) {
    throw Error(SourceLocation{path.string()},
                "IDX element type " + std::to_string(bytes[2]) +
                    " is not supported; only unsigned bytes (8) are");
  }
  IdxArray array;
  const size_t ndim = bytes[3];
  size_t pos = 4;
  int64_t total = 1;
  for (size_t d = 0; d < ndim; ++d, pos += 4) {
    if (pos + 4 > bytes.size()) throw Error(SourceLocation{path.string()}, "truncated IDX header");
    const int64_t dim = (int64_t{bytes[pos]} << 24) | (bytes[pos + 1] << 16) |
                        (bytes[pos + 2] << 8) | bytes[pos + 3];
    array.dims.push_back(dim);
    total *= dim;
  }
  if (static_cast<int64_t>(bytes.size() - pos) != total) {
    throw Error(SourceLocation{path.string()},
                "IDX data has " + std::to_string(bytes.size() - pos) + " bytes, the header says " +
                    std::to_string(total));
  }
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(pos), bytes.end());
  return array;
}

}  // namespace qyolo::data
