#include "qyolo/core/timing.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace qyolo {

double Stopwatch::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double median(std::vector<double> values) {
  TORCH_CHECK(!values.empty(), "median of no values");
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace qyolo
