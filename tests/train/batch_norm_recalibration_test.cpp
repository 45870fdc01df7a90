#include "qyolo/train/batch_norm_recalibration.h"

#include <gtest/gtest.h>

#include "qyolo/nn/batch_norms.h"

namespace qyolo::train {
namespace {

// A conv and a C3 block (six BNs in all) in front of a one-level Detect.
const nn::YamlSource kConvC3Yaml{
    "{nc: 2, depth_multiple: 1.0, width_multiple: 1.0, anchors: [[10,13, 16,30, 33,23]],"
    " backbone: [[-1, 1, Conv, [8, 3, 2]], [-1, 1, C3, [8]]],"
    " head: [[[1], 1, Detect, [nc, anchors]]]}",
    "conv_c3.yaml"};

// Running statistics of every BN after recalibrating on the given batches.
std::vector<torch::Tensor> statistics_after(const std::vector<torch::Tensor>& batches) {
  torch::manual_seed(0);
  nn::Model model(kConvC3Yaml);
  model->eval();
  size_t next = 0;
  recalibrate_batch_norms(
      *model, 10, [&] { return next < batches.size() ? batches[next++] : torch::Tensor(); });
  std::vector<torch::Tensor> stats;
  for (auto* bn : nn::batch_norms(*model)) {
    stats.push_back(bn->running_mean.clone());
    stats.push_back(bn->running_var.clone());
  }
  return stats;
}

TEST(BatchNormRecalibration, StatisticsAreThePlainAverageOverTheBatches) {
  torch::manual_seed(1);
  const auto a = torch::rand({2, 3, 32, 32});
  const auto b = torch::rand({2, 3, 32, 32}) * 3 + 1;
  const auto from_a = statistics_after({a});
  const auto from_b = statistics_after({b});
  const auto from_both = statistics_after({a, b});
  ASSERT_EQ(from_both.size(), 12u);
  for (size_t i = 0; i < from_both.size(); ++i) {
    EXPECT_TRUE(torch::allclose(from_both[i], (from_a[i] + from_b[i]) / 2, 1e-5, 1e-6)) << i;
    EXPECT_FALSE(torch::allclose(from_a[i], from_b[i])) << i;
  }
}

TEST(BatchNormRecalibration, ReplacesStaleStatisticsAndChangesNothingElse) {
  torch::manual_seed(0);
  nn::Model model(kConvC3Yaml);
  std::vector<torch::Tensor> weights;
  for (const auto& p : model->parameters()) weights.push_back(p.detach().clone());
  auto bns = nn::batch_norms(*model);
  ASSERT_EQ(bns.size(), 6u);
  for (auto* bn : bns) bn->running_mean.fill_(100.0);
  const auto momentum = bns[0]->options.momentum();
  const auto images = torch::rand({2, 3, 32, 32});

  model->eval();
  EXPECT_EQ(recalibrate_batch_norms(*model, 5, [&] { return images; }), 5);
  for (auto* bn : bns) {
    EXPECT_LT(bn->running_mean.abs().max().item<double>(), 100.0);
    EXPECT_FALSE(bn->is_training());
    EXPECT_EQ(bn->options.momentum(), momentum);
  }
  model->train();
  recalibrate_batch_norms(*model, 1, [&] { return images; });
  for (auto* bn : bns) EXPECT_TRUE(bn->is_training());
  const auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], weights[i]));
}

TEST(BatchNormRecalibration, StopsWhenTheDataEnds) {
  nn::Model model(kConvC3Yaml);
  int calls = 0;
  const auto two_batches = [&] {
    return ++calls <= 2 ? torch::rand({1, 3, 32, 32}) : torch::Tensor();
  };
  EXPECT_EQ(recalibrate_batch_norms(*model, 50, two_batches), 2);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace qyolo::train
