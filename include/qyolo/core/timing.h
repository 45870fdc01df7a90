// Wall-clock timing for the benchmarks: a stopwatch on the monotonic clock, and the median that
// summarises repeated timings (robust to the odd slow repeat on a shared machine).
#pragma once

#include <chrono>
#include <vector>

namespace qyolo {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  // Seconds since construction.
  double seconds() const;

 private:
  std::chrono::steady_clock::time_point start_;
};

// The median of `values` (the mean of the middle two for an even count); `values` is not empty.
double median(std::vector<double> values);

}  // namespace qyolo
