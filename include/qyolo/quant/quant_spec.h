// What precision a tensor is quantized to: the vocabulary shared by quantizers and the policy.
#pragma once

#include <cstdint>
#include <string>

namespace qyolo::quant {

// lsq: learnable step (Esser et al. 2020); lsq_plus: learnable step and offset (Bhalgat et al.
// 2020); binary: sign with a learnable scale (MPQ-YOLO); fp: not quantized.
enum class QuantKind { kFp, kLsq, kLsqPlus, kBinary };

enum class Granularity { kPerTensor, kPerChannel };

struct QuantSpec {
  int bits = 32;
  bool is_signed = true;
  Granularity granularity = Granularity::kPerTensor;
  QuantKind kind = QuantKind::kFp;
  // Integer kinds: whether training moves step and offset. False for the image grid of an 8-bit
  // first conv input: [0, 1] in 255 steps, where 8-bit images sit exactly.
  bool learned = true;

  bool quantized() const { return kind != QuantKind::kFp; }
  // Bits the tensor costs at inference: 32 for fp, 1 for binary, `bits` otherwise.
  int effective_bits() const;
};

// Whether quantizers for `a` and `b` hold the same kind of state, so one can stand in for the
// other: same kind and, for integer kinds, same bits, sign, granularity and learned-ness.
bool same_quantizer(const QuantSpec& a, const QuantSpec& b);

// Integer grid [qmin, qmax] of a `bits`-bit signed (two's complement) or unsigned integer.
struct IntRange {
  int64_t qmin = 0;
  int64_t qmax = 0;
};
IntRange int_range(int bits, bool is_signed);

// "fp" | "lsq" | "lsq_plus" | "binary"; throws UsageError naming `key` and the given value.
QuantKind parse_quant_kind(const std::string& name, const std::string& key);
std::string to_string(QuantKind kind);

// Bits accepted for integer quantizers.
constexpr int kMinBits = 2;
constexpr int kMaxBits = 8;

}  // namespace qyolo::quant
