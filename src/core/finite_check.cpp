#include "qyolo/core/finite_check.h"

namespace qyolo {
namespace {

constexpr size_t kNamesShown = 3;

bool tensor_is_finite(const torch::Tensor& t) {
  return !t.is_floating_point() || torch::isfinite(t.detach()).all().item<bool>();
}

}  // namespace

std::string FiniteCheck::to_string() const {
  if (ok()) return "all " + std::to_string(tensors) + " tensors are finite";
  std::string text = std::to_string(non_finite.size()) + " of " + std::to_string(tensors) +
                     " tensors hold NaN or inf values (";
  const size_t shown = std::min(kNamesShown, non_finite.size());
  for (size_t i = 0; i < shown; ++i) text += (i > 0 ? ", " : "") + non_finite[i];
  if (non_finite.size() > shown)
    text += " and " + std::to_string(non_finite.size() - shown) + " more";
  return text + ")";
}

FiniteCheck check_finite(const TensorMap& state) {
  FiniteCheck check;
  for (const auto& [name, tensor] : state) {
    if (!tensor.defined() || !tensor.is_floating_point()) continue;
    ++check.tensors;
    if (!tensor_is_finite(tensor)) check.non_finite.push_back(name);
  }
  return check;
}

bool all_finite(const TensorMap& state) {
  for (const auto& [name, tensor] : state)
    if (tensor.defined() && !tensor_is_finite(tensor)) return false;
  return true;
}

}  // namespace qyolo
