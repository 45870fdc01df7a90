#include "qyolo/export/packed_format.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"

namespace qyolo::exporter {
namespace {

constexpr char kMagic[8] = {'Q', 'Y', 'O', 'L', 'O', 'I', 'N', 'T'};
constexpr uint32_t kVersion = 1;

int64_t packed_size(int64_t count, int bits) { return (count * bits + 7) / 8; }

}  // namespace

int64_t PackedModel::payload_bytes() const {
  int64_t total = 0;
  for (const auto& t : tensors) {
    total += t.bits < 32 ? packed_size(t.values.numel(), t.bits) : t.values.numel() * 4;
  }
  return total;
}

std::string pack_bits(const torch::Tensor& integers, int bits, bool is_signed) {
  TORCH_CHECK(bits >= 1 && bits <= 8, "pack_bits: bits must be 1..8, got ", bits);
  const torch::Tensor v = integers.to(torch::kLong).contiguous().cpu().flatten();
  const int64_t lo = bits == 1 ? (is_signed ? -1 : 0) : (is_signed ? -(1LL << (bits - 1)) : 0);
  const int64_t hi = bits == 1 ? 1 : (is_signed ? (1LL << (bits - 1)) - 1 : (1LL << bits) - 1);
  std::string out(packed_size(v.numel(), bits), '\0');
  const int64_t* p = v.data_ptr<int64_t>();
  for (int64_t i = 0; i < v.numel(); ++i) {
    TORCH_CHECK(p[i] >= lo && p[i] <= hi, "pack_bits: value ", p[i], " outside the ", bits,
                "-bit range [", lo, ", ", hi, "]");
    // 1-bit values are signs (-1 / +1): bit 1 means +1.
    const uint32_t code = bits == 1 ? static_cast<uint32_t>(p[i] > 0)
                                    : static_cast<uint32_t>(p[i]) & ((1u << bits) - 1);
    for (int b = 0; b < bits; ++b) {
      if (code & (1u << b)) {
        const int64_t bit = i * bits + b;
        out[bit / 8] = static_cast<char>(static_cast<uint8_t>(out[bit / 8]) | (1u << (bit % 8)));
      }
    }
  }
  return out;
}

torch::Tensor unpack_bits(const std::string& bytes, int64_t count, int bits, bool is_signed) {
  TORCH_CHECK(static_cast<int64_t>(bytes.size()) >= packed_size(count, bits),
              "unpack_bits: not enough bytes");
  auto out = torch::empty({count}, torch::kLong);
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    uint32_t code = 0;
    for (int b = 0; b < bits; ++b) {
      const int64_t bit = i * bits + b;
      if (static_cast<uint8_t>(bytes[bit / 8]) & (1u << (bit % 8))) code |= 1u << b;
    }
    if (bits == 1) {
      p[i] = code ? 1 : (is_signed ? -1 : 0);
    } else if (is_signed && (code & (1u << (bits - 1)))) {
      p[i] = static_cast<int64_t>(code) - (1LL << bits);
    } else {
      p[i] = code;
    }
  }
  return out;
}

void write_packed_model(const PackedModel& model, const std::filesystem::path& path) {
  nlohmann::json header;
  header["model_yaml"] = model.model_yaml;
  header["quant_policy"] = model.quant_policy;
  header["metadata"] = model.metadata;
  std::string blob;
  for (const auto& t : model.tensors) {
    nlohmann::json e;
    e["name"] = t.name;
    e["shape"] = t.values.sizes().vec();
    e["offset"] = blob.size();
    if (t.bits < 32) {
      e["dtype"] = "int";
      e["bits"] = t.bits;
      e["signed"] = t.is_signed;
      e["scale"] = t.scale;
      blob += pack_bits(t.values, t.bits, t.is_signed);
    } else {
      e["dtype"] = "float32";
      const torch::Tensor f = t.values.to(torch::kFloat).contiguous().cpu();
      blob.append(static_cast<const char*>(f.data_ptr()), f.nbytes());
    }
    e["size"] = blob.size() - e["offset"].get<size_t>();
    header["tensors"].push_back(e);
  }
  const std::string h = header.dump();
  std::string bytes(kMagic, sizeof(kMagic));
  bytes.append(reinterpret_cast<const char*>(&kVersion), 4);
  const uint64_t hlen = h.size();
  bytes.append(reinterpret_cast<const char*>(&hlen), 8);
  bytes += h;
  bytes += blob;
  write_file_atomic(path, bytes);
}

PackedModel read_packed_model(const std::filesystem::path& path) {
  const std::string bytes = read_file(path, "the qyolo-int model");
  if (bytes.size() < 20 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    throw Error("'" + path.string() + "' is not a qyolo-int model (no QYOLOINT header)");
  }
  uint32_t version = 0;
  uint64_t hlen = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&hlen, bytes.data() + 12, 8);
  if (version > kVersion) {
    throw Error("'" + path.string() + "' has qyolo-int version " + std::to_string(version) +
                ", newer than this qyolo reads");
  }
  if (20 + hlen > bytes.size()) throw Error("'" + path.string() + "' is truncated");
  const auto header = nlohmann::json::parse(bytes.substr(20, hlen));
  const size_t blob_start = 20 + hlen;
  PackedModel m;
  m.model_yaml = header["model_yaml"].get<std::string>();
  m.quant_policy = header["quant_policy"].get<std::string>();
  m.metadata = header["metadata"].get<std::map<std::string, std::string>>();
  for (const auto& e : header["tensors"]) {
    PackedTensor t;
    t.name = e["name"].get<std::string>();
    const auto shape = e["shape"].get<std::vector<int64_t>>();
    const size_t offset = blob_start + e["offset"].get<size_t>();
    const size_t size = e["size"].get<size_t>();
    if (offset + size > bytes.size()) throw Error("'" + path.string() + "' is truncated");
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    if (e["dtype"] == "int") {
      t.bits = e["bits"].get<int>();
      t.is_signed = e["signed"].get<bool>();
      t.scale = e["scale"].get<std::string>();
      t.values = unpack_bits(bytes.substr(offset, size), count, t.bits, t.is_signed).reshape(shape);
    } else {
      t.values = torch::empty(shape, torch::kFloat);
      if (size > 0) std::memcpy(t.values.data_ptr(), bytes.data() + offset, size);
    }
    m.tensors.push_back(std::move(t));
  }
  return m;
}

}  // namespace qyolo::exporter
