// k-means clustering by Lloyd's algorithm, as scipy.cluster.vq.kmeans (which AutoAnchor uses):
// Euclidean distance, distortion = mean distance to the nearest centroid.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace qyolo::train {

struct KMeansOptions {
  explicit KMeansOptions(int64_t k) : k_(k) {}
  TORCH_ARG(int64_t, k);
  // Runs from different random starts; the one of lowest distortion is kept (scipy's iter).
  TORCH_ARG(int, restarts) = 20;
  // A run stops when an iteration lowers the distortion by no more than this.
  TORCH_ARG(double, thresh) = 1e-5;
  TORCH_ARG(uint64_t, seed) = 0;
};

struct KMeansResult {
  torch::Tensor centroids;  // (m,d), m <= k: a centroid left without points is dropped
  double distortion = 0;    // of the centroids the last iteration started from
};

// Lloyd's iterations from the centroids `guess` (m,d) on `points` (n,d) (scipy's _kmeans).
KMeansResult lloyd(const torch::Tensor& points, torch::Tensor guess, double thresh = 1e-5);

// The best of options.restarts() runs of lloyd, each starting from k distinct points drawn at
// random (scipy's kmeans(points, k, iter=restarts), with its own random stream).
KMeansResult kmeans(const torch::Tensor& points, const KMeansOptions& options);

}  // namespace qyolo::train
