// The qyolo-int deployment format: integer weights packed at their trained bit width
// (two 4-bit values per byte, eight 1-bit values per byte, ...) with their scales, plus the
// float tensors a runtime needs (biases, folded BN, activation quantizer parameters).
//
// Layout: magic "QYOLOINT", u32 version, u64 header length, a JSON header, then one blob.
// The header lists every tensor: name, dtype ("int" or "float32"), shape, byte offset and size
// in the blob, and for "int" tensors the bit width, signedness and the name of the scale tensor.
// Integers are stored as their two's-complement low `bits` bits, least significant bit first.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qyolo::exporter {

struct PackedTensor {
  std::string name;
  torch::Tensor values;  // int64 integers for packed tensors, float32 otherwise
  int bits = 32;         // < 32: packed integers
  bool is_signed = true;
  std::string scale;  // name of the float tensor that dequantizes it (packed tensors only)
};

struct PackedModel {
  std::string model_yaml;
  std::string quant_policy;
  std::map<std::string, std::string> metadata;
  std::vector<PackedTensor> tensors;

  // Sum of the stored payload bytes (the deployed size).
  int64_t payload_bytes() const;
};

// Packs integers in [min, max] of `bits` (signed or not) into bytes; values outside the range
// are an internal error (TORCH_CHECK).
std::string pack_bits(const torch::Tensor& integers, int bits, bool is_signed);
torch::Tensor unpack_bits(const std::string& bytes, int64_t count, int bits, bool is_signed);

void write_packed_model(const PackedModel& model, const std::filesystem::path& path);
PackedModel read_packed_model(const std::filesystem::path& path);

}  // namespace qyolo::exporter
