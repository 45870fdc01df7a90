#include "qyolo/train/kmeans.h"

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

namespace qyolo::train {
namespace {

// k distinct indices of [0, n) (Floyd's algorithm: k draws, whatever n).
std::vector<int64_t> distinct_indices(int64_t n, int64_t k, std::mt19937_64& rng) {
  std::vector<int64_t> chosen;
  for (int64_t j = n - k; j < n; ++j) {
    const int64_t t = std::uniform_int_distribution<int64_t>(0, j)(rng);
    chosen.push_back(std::find(chosen.begin(), chosen.end(), t) == chosen.end() ? t : j);
  }
  return chosen;
}

}  // namespace

KMeansResult lloyd(const torch::Tensor& points, torch::Tensor guess, double thresh) {
  TORCH_CHECK(points.dim() == 2 && guess.dim() == 2 && points.size(1) == guess.size(1),
              "lloyd: points (n,d) and centroids (m,d) expected, got ", points.sizes(), " and ",
              guess.sizes());
  TORCH_CHECK(points.size(0) > 0 && guess.size(0) > 0, "lloyd: no points or no centroids");
  torch::NoGradGuard no_grad;
  KMeansResult result;
  result.centroids = guess.to(points.dtype());
  result.distortion = std::numeric_limits<double>::infinity();
  for (double gain = result.distortion; gain > thresh;) {
    // Direct differences, as scipy's vq for few features (no |a|²+|b|²-2ab cancellation).
    const auto distances = torch::cdist(points, result.centroids, 2.0, /*compute_mode=*/2);
    const auto [nearest, code] = distances.min(1);
    const double distortion = nearest.mean().item<double>();
    const int64_t m = result.centroids.size(0);
    const auto sums = torch::zeros_like(result.centroids).index_add_(0, code, points);
    const auto counts = torch::bincount(code, {}, m);
    const auto members = counts > 0;
    result.centroids = (sums / counts.unsqueeze(1).to(sums.dtype())).index({members});
    gain = result.distortion - distortion;
    result.distortion = distortion;
  }
  return result;
}

KMeansResult kmeans(const torch::Tensor& points, const KMeansOptions& options) {
  const int64_t n = points.size(0);
  TORCH_CHECK(options.k() >= 1 && options.k() <= n, "kmeans: k = ", options.k(), " needs 1 to ", n,
              " points");
  TORCH_CHECK(options.restarts() >= 1, "kmeans: restarts must be at least 1");
  TORCH_CHECK(torch::isfinite(points).all().item<bool>(), "kmeans: the points are not finite");
  std::seed_seq seq{options.seed(), uint64_t{0x6b6d65616e73}};
  std::mt19937_64 rng(seq);
  KMeansResult best;
  best.distortion = std::numeric_limits<double>::infinity();
  for (int run = 0; run < options.restarts(); ++run) {
    const auto start = torch::tensor(distinct_indices(n, options.k(), rng), torch::kLong);
    auto candidate = lloyd(points, points.index_select(0, start), options.thresh());
    if (candidate.distortion < best.distortion) best = std::move(candidate);
  }
  return best;
}

}  // namespace qyolo::train
