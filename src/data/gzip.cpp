#include "qyolo/data/gzip.h"

#include <array>
#include <fstream>
#include <iterator>
#include <string>

#include "qyolo/core/crc32.h"
#include "qyolo/core/error.h"

namespace qyolo::data {
namespace {

constexpr int kMaxBits = 15;

class CorruptStream : public std::exception {};

// Canonical Huffman decoding table: symbol counts per code length and symbols in code order.
struct Huffman {
  std::array<uint16_t, kMaxBits + 1> count{};
  std::vector<uint16_t> symbol;

  explicit Huffman(const uint8_t* lengths, int n) : symbol(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) ++count[lengths[i]];
    std::array<uint16_t, kMaxBits + 1> offset{};
    for (int len = 1; len < kMaxBits; ++len) offset[len + 1] = offset[len] + count[len];
    for (int i = 0; i < n; ++i) {
      if (lengths[i] != 0) symbol[offset[lengths[i]]++] = static_cast<uint16_t>(i);
    }
  }
};

class Inflater {
 public:
  Inflater(const uint8_t* data, size_t size, size_t pos) : data_(data), size_(size), pos_(pos) {}

  // Decodes one DEFLATE stream, appending to `out`; returns the byte position after it.
  size_t inflate(std::vector<uint8_t>& out) {
    bool last = false;
    while (!last) {
      last = bits(1) != 0;
      switch (bits(2)) {
        case 0:
          stored(out);
          break;
        case 1:
          fixed(out);
          break;
        case 2:
          dynamic(out);
          break;
        default:
          throw CorruptStream();
      }
    }
    bit_count_ = 0;  // the stream ends on a byte boundary
    return pos_;
  }

 private:
  int bits(int need) {
    uint32_t value = bit_buffer_;
    while (bit_count_ < need) {
      if (pos_ >= size_) throw CorruptStream();
      value |= static_cast<uint32_t>(data_[pos_++]) << bit_count_;
      bit_count_ += 8;
    }
    bit_buffer_ = value >> need;
    bit_count_ -= need;
    return static_cast<int>(value & ((1u << need) - 1));
  }

  void stored(std::vector<uint8_t>& out) {
    bit_buffer_ = 0;
    bit_count_ = 0;
    if (pos_ + 4 > size_) throw CorruptStream();
    const unsigned len = data_[pos_] | (data_[pos_ + 1] << 8);
    const unsigned nlen = data_[pos_ + 2] | (data_[pos_ + 3] << 8);
    pos_ += 4;
    if (len != (~nlen & 0xffffu) || pos_ + len > size_) throw CorruptStream();
    out.insert(out.end(), data_ + pos_, data_ + pos_ + len);
    pos_ += len;
  }

  int decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      code |= bits(1);
      const int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw CorruptStream();
  }

  void codes(std::vector<uint8_t>& out, const Huffman& lengths, const Huffman& distances) {
    static constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                                 15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                                 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr uint16_t kDistBase[30] = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                               6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int symbol = decode(lengths);
      if (symbol < 256) {
        out.push_back(static_cast<uint8_t>(symbol));
      } else if (symbol == 256) {
        return;
      } else {
        symbol -= 257;
        if (symbol >= 29) throw CorruptStream();
        const size_t len = kLengthBase[symbol] + bits(kLengthExtra[symbol]);
        const int dist_symbol = decode(distances);
        if (dist_symbol >= 30) throw CorruptStream();
        const size_t dist = kDistBase[dist_symbol] + bits(kDistExtra[dist_symbol]);
        if (dist > out.size()) throw CorruptStream();
        const size_t from = out.size() - dist;
        for (size_t i = 0; i < len; ++i) out.push_back(out[from + i]);  // may overlap itself
      }
    }
  }

  void fixed(std::vector<uint8_t>& out) {
    static const std::pair<Huffman, Huffman> tables = [] {
      std::array<uint8_t, 288> lit{};
      for (int i = 0; i < 288; ++i) lit[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
      std::array<uint8_t, 30> dist{};
      dist.fill(5);
      return std::make_pair(Huffman(lit.data(), 288), Huffman(dist.data(), 30));
    }();
    codes(out, tables.first, tables.second);
  }

  void dynamic(std::vector<uint8_t>& out) {
    static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                           11, 4,  12, 3, 13, 2, 14, 1, 15};
    const int nlen = bits(5) + 257;
    const int ndist = bits(5) + 1;
    const int ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw CorruptStream();
    std::array<uint8_t, 320> lengths{};
    for (int i = 0; i < ncode; ++i) lengths[kOrder[i]] = static_cast<uint8_t>(bits(3));
    const Huffman code_lengths(lengths.data(), 19);
    lengths.fill(0);
    for (int i = 0; i < nlen + ndist;) {
      const int symbol = decode(code_lengths);
      if (symbol < 16) {
        lengths[i++] = static_cast<uint8_t>(symbol);
        continue;
      }
      uint8_t value = 0;
      int repeat = 0;
      if (symbol == 16) {
        if (i == 0) throw CorruptStream();
        value = lengths[i - 1];
        repeat = 3 + bits(2);
      } else if (symbol == 17) {
        repeat = 3 + bits(3);
      } else {
        repeat = 11 + bits(7);
      }
      if (i + repeat > nlen + ndist) throw CorruptStream();
      while (repeat--) lengths[i++] = value;
    }
    if (lengths[256] == 0) throw CorruptStream();  // no end-of-block code
    codes(out, Huffman(lengths.data(), nlen), Huffman(lengths.data() + nlen, ndist));
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  uint32_t bit_buffer_ = 0;
  int bit_count_ = 0;
};

uint32_t read_le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Skips the gzip member header (RFC 1952 section 2.3); returns the position of the DEFLATE data.
size_t skip_header(const std::vector<uint8_t>& in, size_t pos) {
  if (pos + 10 > in.size() || in[pos] != 0x1f || in[pos + 1] != 0x8b || in[pos + 2] != 8) {
    throw CorruptStream();
  }
  const uint8_t flags = in[pos + 3];
  pos += 10;
  auto need = [&](size_t n) {
    if (pos + n > in.size()) throw CorruptStream();
  };
  if (flags & 4) {  // FEXTRA
    need(2);
    pos += 2 + (in[pos] | (in[pos + 1] << 8));
  }
  for (uint8_t zero_terminated : {uint8_t{8}, uint8_t{16}}) {  // FNAME, FCOMMENT
    if (flags & zero_terminated) {
      while (need(1), in[pos++] != 0) {
      }
    }
  }
  if (flags & 2) pos += 2;  // FHCRC
  need(0);
  return pos;
}

}  // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& source) {
  std::vector<uint8_t> out;
  try {
    size_t pos = 0;
    do {
      const size_t start = out.size();
      pos =
          Inflater(compressed.data(), compressed.size(), skip_header(compressed, pos)).inflate(out);
      if (pos + 8 > compressed.size()) throw CorruptStream();
      const uint32_t crc = read_le32(compressed.data() + pos);
      const uint32_t size = read_le32(compressed.data() + pos + 4);
      pos += 8;
      if (crc != qyolo::crc32(out.data() + start, out.size() - start) ||
          size != static_cast<uint32_t>(out.size() - start)) {
        throw CorruptStream();
      }
    } while (pos < compressed.size());
  } catch (const CorruptStream&) {
    throw Error(SourceLocation{source},
                "not a valid gzip file (bad header, truncated or corrupt data); re-download or "
                "reinstall it");
  }
  return out;
}

std::vector<uint8_t> read_gzip_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(SourceLocation{path.string()}, "cannot open file for reading");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  return gunzip(bytes, path.string());
}

}  // namespace qyolo::data
