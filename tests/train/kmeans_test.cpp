// k-means as scipy.cluster.vq: Lloyd's iterations match scipy's _kmeans, restarts are seeded.
#include "qyolo/train/kmeans.h"

#include <gtest/gtest.h>

namespace qyolo::train {
namespace {

torch::Tensor points() {
  return torch::tensor({1.0, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 3.5, 5.0,
                        4.5, 5.0, 3.5, 4.5, 9.0, 1.0, 8.5, 1.5, 9.5, 0.5},
                       torch::kDouble)
      .view({10, 2});
}

// Expected values: scipy 1.10.1, scipy.cluster.vq._kmeans(points, guess).
TEST(KMeans, LloydMatchesScipy) {
  const auto result = lloyd(points(), points().index_select(0, torch::tensor({0, 3, 7})));
  const auto expected = torch::tensor({1.25, 1.5, 3.9, 5.1, 9.0, 1.0}, torch::kDouble).view({3, 2});
  EXPECT_TRUE(torch::allclose(result.centroids, expected)) << result.centroids;
  EXPECT_NEAR(result.distortion, 0.789066150217258, 1e-12);
}

TEST(KMeans, LloydDropsCentroidsLeftWithoutPoints) {
  const auto guess = torch::tensor({1.0, 1.0, 5.0, 7.0, 100.0, 100.0}, torch::kDouble).view({3, 2});
  const auto result = lloyd(points(), guess);
  const auto expected =
      torch::tensor({3.14285714285714, 4.07142857142857, 9.0, 1.0}, torch::kDouble).view({2, 2});
  EXPECT_TRUE(torch::allclose(result.centroids, expected)) << result.centroids;
  EXPECT_NEAR(result.distortion, 1.4627770500594774, 1e-12);
}

TEST(KMeans, RestartsFindTheClustersAndAreSeeded) {
  const auto options = KMeansOptions(3).restarts(30).seed(7);
  const auto a = kmeans(points(), options);
  const auto b = kmeans(points(), options);
  EXPECT_TRUE(torch::equal(a.centroids, b.centroids));
  EXPECT_EQ(a.distortion, b.distortion);
  // The three visible groups, the lowest distortion scipy's runs reach from any start.
  EXPECT_NEAR(a.distortion, 0.789066150217258, 1e-12);
  EXPECT_THROW(kmeans(points(), KMeansOptions(11)), c10::Error);
}

}  // namespace
}  // namespace qyolo::train
