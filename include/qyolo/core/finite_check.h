// Which tensors of a state dict hold NaN or infinite values. A diverged run produces such
// weights; training on, evaluating or exporting them only spreads garbage, so training stops
// before writing them and loaders can refuse them.
#pragma once

#include <string>
#include <vector>

#include "qyolo/core/checkpoint.h"

namespace qyolo {

struct FiniteCheck {
  size_t tensors = 0;                   // floating-point tensors checked
  std::vector<std::string> non_finite;  // names of those holding NaN or inf, in name order

  bool ok() const { return non_finite.empty(); }
  // "356 of 701 tensors hold NaN or inf values (model.0.conv.weight, model.0.bn.weight,
  // model.0.bn.bias and 353 more)", or "all 701 tensors are finite".
  std::string to_string() const;
};

// Checks every floating-point tensor of `state` (integer tensors are always finite).
FiniteCheck check_finite(const TensorMap& state);

// True when no tensor of `state` holds NaN or inf.
bool all_finite(const TensorMap& state);

}  // namespace qyolo
