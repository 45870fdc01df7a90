#include "qyolo/data/sample_rng.h"

#include <algorithm>
#include <numeric>

namespace qyolo::data {
namespace {

// SplitMix64 finaliser: spreads nearby (seed, epoch, position) triples over unrelated states.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

SampleRng::SampleRng(uint64_t seed) : engine_(mix(seed)) {}

SampleRng::SampleRng(uint64_t seed, int64_t epoch, int64_t position)
    : engine_(
          mix(mix(mix(seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(position))) {}

double SampleRng::uniform(double low, double high) {
  return std::uniform_real_distribution<double>(low, high)(engine_);
}

int64_t SampleRng::uniform_int(int64_t low, int64_t high) {
  return std::uniform_int_distribution<int64_t>(low, high)(engine_);
}

double SampleRng::beta(double a, double b) {
  const double x = std::gamma_distribution<double>(a, 1.0)(engine_);
  const double y = std::gamma_distribution<double>(b, 1.0)(engine_);
  return x / (x + y);
}

std::vector<int64_t> SampleRng::permutation(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), engine_);
  return order;
}

std::vector<int64_t> SampleRng::sample(int64_t n, int64_t k) {
  std::vector<int64_t> order = permutation(n);
  order.resize(static_cast<size_t>(std::min(n, k)));
  return order;
}

}  // namespace qyolo::data
