#include "qyolo/quant/quant_spec.h"

#include <c10/util/Exception.h>

#include "qyolo/core/error.h"

namespace qyolo::quant {

int QuantSpec::effective_bits() const {
  switch (kind) {
    case QuantKind::kFp:
      return 32;
    case QuantKind::kBinary:
      return 1;
    default:
      return bits;
  }
}

bool same_quantizer(const QuantSpec& a, const QuantSpec& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == QuantKind::kFp || a.kind == QuantKind::kBinary) return true;
  return a.bits == b.bits && a.is_signed == b.is_signed && a.granularity == b.granularity &&
         a.learned == b.learned;
}

IntRange int_range(int bits, bool is_signed) {
  TORCH_CHECK(bits >= kMinBits && bits <= kMaxBits, "integer quantizers support ", kMinBits, "-",
              kMaxBits, " bits, got ", bits);
  if (is_signed) return {-(int64_t{1} << (bits - 1)), (int64_t{1} << (bits - 1)) - 1};
  return {0, (int64_t{1} << bits) - 1};
}

QuantKind parse_quant_kind(const std::string& name, const std::string& key) {
  if (name == "fp") return QuantKind::kFp;
  if (name == "lsq") return QuantKind::kLsq;
  if (name == "lsq_plus") return QuantKind::kLsqPlus;
  if (name == "binary") return QuantKind::kBinary;
  throw UsageError(key + ": unknown quantizer kind '" + name +
                   "'; allowed: fp, lsq, lsq_plus, binary");
}

std::string to_string(QuantKind kind) {
  switch (kind) {
    case QuantKind::kFp:
      return "fp";
    case QuantKind::kLsq:
      return "lsq";
    case QuantKind::kLsqPlus:
      return "lsq_plus";
    case QuantKind::kBinary:
      return "binary";
  }
  return "?";
}

}  // namespace qyolo::quant
