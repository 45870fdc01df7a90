// Checks attached to config keys. A section's `visit(v)` calls v(key, field, check) per key.
#pragma once

#include <string>
#include <vector>

namespace qyolo::config {

// Value must lie in [min, max].
struct Range {
  double min;
  double max;
};

// Value must be one of the listed strings.
struct OneOf {
  std::vector<std::string> values;
};

// No constraint beyond the field's type.
struct Any {};

}  // namespace qyolo::config
