// Per-sample random numbers for augmentation. Every sample draws from its own generator seeded
// from (seed, epoch, position), so a batch never depends on which worker thread built it.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace qyolo::data {

class SampleRng {
 public:
  explicit SampleRng(uint64_t seed);
  SampleRng(uint64_t seed, int64_t epoch, int64_t position);

  double uniform(double low, double high);                 // [low, high)
  int64_t uniform_int(int64_t low, int64_t high);          // [low, high], both inclusive
  bool chance(double p) { return uniform(0.0, 1.0) < p; }  // true with probability p
  double beta(double a, double b);
  std::vector<int64_t> permutation(int64_t n);
  // k distinct values of [0, n), in random order (Python's random.sample).
  std::vector<int64_t> sample(int64_t n, int64_t k);

 private:
  std::mt19937_64 engine_;
};

}  // namespace qyolo::data
