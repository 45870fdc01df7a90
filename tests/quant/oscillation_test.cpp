#include "qyolo/quant/oscillation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "qyolo/core/error.h"
#include "qyolo/quant/lsq_quantizer.h"

namespace qyolo::quant {
namespace {

TEST(OscillationTracker, CountsFlipsOnAHandMadeSequence) {
  // Weight 0 oscillates 0,1,0,1,1,2,1: flips at steps 2, 3 and 6 (a change opposite to the
  // previous change); weight 1 climbs 0..6 and never flips; weight 2 never changes.
  const std::vector<std::vector<float>> sequence = {{0, 0, 3}, {1, 1, 3}, {0, 2, 3}, {1, 3, 3},
                                                    {1, 4, 3}, {2, 5, 3}, {1, 6, 3}};
  const double m = 0.01;
  OscillationTracker tracker(std::vector<int64_t>{3}, m);
  double expected = 0;
  const std::vector<bool> flips = {false, false, true, true, false, false, true};
  for (size_t t = 0; t < sequence.size(); ++t) {
    tracker->update(torch::tensor(sequence[t]));
    if (t > 0) expected = (1 - m) * expected + m * (flips[t] ? 1.0 : 0.0);
  }
  EXPECT_NEAR(tracker->frequency[0].item<double>(), expected, 1e-7);
  EXPECT_EQ(tracker->frequency[1].item<float>(), 0.f);
  EXPECT_EQ(tracker->frequency[2].item<float>(), 0.f);
  EXPECT_EQ(tracker->updates.item<int64_t>(), 7);
  EXPECT_NEAR(tracker->oscillating_fraction(0.005), 1.0 / 3, 1e-12);
  EXPECT_EQ(tracker->oscillating_fraction(0.05), 0.0);
}

TEST(OscillationTracker, FreezesAtTheMostFrequentIntegerAndStaysFrozen) {
  OscillationTracker tracker(std::vector<int64_t>{2}, 0.1);
  // Weight 0 spends most steps at 3 with short visits to 4.
  const std::vector<float> values = {3, 3, 4, 3, 3, 4, 3, 3, 4, 3};
  for (float v : values) tracker->update(torch::tensor({v, 1.f}));
  EXPECT_EQ(tracker->freeze_above(0.02), 1);
  EXPECT_TRUE(tracker->frozen[0].item<bool>());
  EXPECT_FALSE(tracker->frozen[1].item<bool>());
  EXPECT_EQ(tracker->frozen_integer[0].item<float>(), 3.f);
  // Frequencies decay later, the weight stays frozen at its integer.
  for (int i = 0; i < 100; ++i) tracker->update(torch::tensor({5.f, 1.f}));
  EXPECT_EQ(tracker->freeze_above(0.02), 1);
  EXPECT_EQ(tracker->frozen_integer[0].item<float>(), 3.f);
}

TEST(Dampening, LambdaSchedules) {
  config::DampenConfig dampen;
  dampen.lambda_start = 0.0;
  dampen.lambda_end = 0.1;
  dampen.schedule = "cosine";
  EXPECT_DOUBLE_EQ(dampening_lambda(dampen, 0.0), 0.0);
  EXPECT_NEAR(dampening_lambda(dampen, 0.5), 0.05, 1e-12);
  EXPECT_NEAR(dampening_lambda(dampen, 1.0), 0.1, 1e-12);
  dampen.schedule = "linear";
  EXPECT_NEAR(dampening_lambda(dampen, 0.25), 0.025, 1e-12);
  dampen.schedule = "constant";
  EXPECT_DOUBLE_EQ(dampening_lambda(dampen, 0.25), 0.1);
  dampen.schedule = "step";
  EXPECT_THROW(dampening_lambda(dampen, 0.5), UsageError);
}

TEST(Dampening, LossIsDistanceToTheGridPoint) {
  LsqQuantizer q(LsqQuantizerOptions(3, TensorRole::kWeight));
  q->set_grid(torch::tensor({0.5f}));
  // Grid −2..1.5; 9.0 clips to 1.5 (no loss), 0.6 → 0.5, −0.8 → −1.0, 0.3 → 0.5 (tie-free).
  const auto w = torch::tensor({9.0f, 0.6f, -0.8f, 0.3f}, torch::requires_grad());
  const auto loss = dampening_loss(w, *q);
  EXPECT_NEAR(loss.item<double>(), 0.01 + 0.04 + 0.04, 1e-6);
  loss.backward();
  EXPECT_TRUE(torch::allclose(w.grad(), torch::tensor({0.f, 0.2f, 0.4f, -0.4f}), 1e-5, 1e-6));
  EXPECT_FALSE(q->step.grad().defined());
}

}  // namespace
}  // namespace qyolo::quant
