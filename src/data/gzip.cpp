#include "qyolo/data/gzip.h"

#include <zlib.h>

#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"

namespace qyolo::data {

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& source) {
  const auto corrupt = [&](const std::string& detail) {
    return Error(SourceLocation{source},
                 "not a valid gzip file (" + detail + "); re-download or reinstall it");
  };
  z_stream stream{};
  // 16 + MAX_WBITS: gzip framing only; zlib checks each member's CRC-32 and length.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw corrupt("zlib could not start");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 16);
  stream.next_in = const_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (true) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    status = inflate(&stream, Z_NO_FLUSH);
    out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - stream.avail_out));
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      inflateReset(&stream);  // gzip files may hold several members, as gzip -d reads them
      continue;
    }
    if (status != Z_OK) break;
    if (stream.avail_in == 0 && stream.avail_out != 0) {
      status = Z_BUF_ERROR;  // all input used in the middle of a member: truncated
      break;
    }
  }
  const std::string message = stream.msg ? stream.msg : "truncated";
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw corrupt(status == Z_BUF_ERROR ? "truncated" : message);
  return out;
}

std::vector<uint8_t> read_gzip_file(const std::filesystem::path& path) {
  const std::string file = read_file(path, "the gzip file");
  return gunzip(std::vector<uint8_t>(file.begin(), file.end()), path.string());
}

}  // namespace qyolo::data
