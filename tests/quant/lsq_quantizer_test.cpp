#include "qyolo/quant/lsq_quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace qyolo::quant {
namespace {

TEST(LsqQuantizer, WeightStepStartsAtTwiceMeanAbsOverSqrtQp) {
  torch::manual_seed(0);
  const auto w = torch::randn({8, 4, 3, 3});
  LsqQuantizer per_tensor(LsqQuantizerOptions(4, TensorRole::kWeight));
  per_tensor->forward(w);
  EXPECT_TRUE(per_tensor->initialized());
  EXPECT_NEAR(per_tensor->step.item<double>(), 2 * w.abs().mean().item<double>() / std::sqrt(7.0),
              1e-7);
  LsqQuantizer per_channel(LsqQuantizerOptions(3, TensorRole::kWeight).channels(8));
  per_channel->forward(w);
  EXPECT_TRUE(torch::allclose(per_channel->step, 2 * w.abs().flatten(1).mean(1) / std::sqrt(3.0)));
  // Initialised once: a different tensor later does not move the step.
  const auto before = per_tensor->step.clone();
  per_tensor->forward(w * 10);
  EXPECT_TRUE(torch::equal(before, per_tensor->step));
}

TEST(LsqQuantizer, GradScaleIsOneOverSqrtOfElementsTimesQp) {
  LsqQuantizer weights(LsqQuantizerOptions(4, TensorRole::kWeight).channels(8));
  EXPECT_DOUBLE_EQ(weights->grad_scale(torch::zeros({8, 4, 3, 3})), 1.0 / std::sqrt(36.0 * 7));
  LsqQuantizer acts(LsqQuantizerOptions(4, TensorRole::kActivation).is_signed(false));
  EXPECT_DOUBLE_EQ(acts->grad_scale(torch::zeros({16, 3, 5, 5})), 1.0 / std::sqrt(75.0 * 15));
}

TEST(LsqQuantizer, ActivationMinMaxInitialisation) {
  const auto x = torch::linspace(-0.3, 5.7, 1000).reshape({2, 5, 10, 10});
  LsqQuantizer lsq_plus(
      LsqQuantizerOptions(4, TensorRole::kActivation).is_signed(false).learn_offset(true));
  lsq_plus->start_observing();
  EXPECT_TRUE(torch::equal(lsq_plus->forward(x), x));  // observing passes values through
  lsq_plus->finish_observing(ActInit::kMinMax);
  EXPECT_NEAR(lsq_plus->step.item<double>(), 6.0 / 15, 1e-6);
  EXPECT_NEAR(lsq_plus->offset.item<double>(), -0.3, 1e-6);
  LsqQuantizer signed_lsq(LsqQuantizerOptions(4, TensorRole::kActivation));
  signed_lsq->start_observing();
  signed_lsq->forward(x);
  signed_lsq->finish_observing(ActInit::kMinMax);
  EXPECT_NEAR(signed_lsq->step.item<double>(), 5.7 / 7, 1e-6);
}

TEST(LsqQuantizer, MseInitialisationNeverWorseThanMinMax) {
  torch::manual_seed(1);
  // Heavy-tailed data: clipping the tail lowers the error.
  const auto x = torch::randn({4, 8, 16, 16}).pow(3);
  const auto error = [&](ActInit method) {
    LsqQuantizer q(
        LsqQuantizerOptions(4, TensorRole::kActivation).learn_offset(true).is_signed(false));
    q->start_observing();
    q->forward(x);
    q->finish_observing(method);
    torch::NoGradGuard no_grad;
    return (q->forward(x) - x).pow(2).mean().item<double>();
  };
  EXPECT_LT(error(ActInit::kMse), 0.8 * error(ActInit::kMinMax));
}

TEST(LsqQuantizer, SaveLoadKeepsStepsBitExactAndInitialisedFlag) {
  torch::manual_seed(2);
  LsqQuantizer trained(
      LsqQuantizerOptions(3, TensorRole::kActivation).is_signed(false).learn_offset(true));
  trained->forward(torch::randn({2, 3, 4, 4}));  // initialises from the first batch
  {
    torch::NoGradGuard no_grad;
    trained->step.add_(0.0123456789);
    trained->offset.sub_(0.001);
  }
  std::stringstream buffer;
  torch::save(trained, buffer);
  LsqQuantizer loaded(
      LsqQuantizerOptions(3, TensorRole::kActivation).is_signed(false).learn_offset(true));
  EXPECT_FALSE(loaded->initialized());
  torch::load(loaded, buffer);
  EXPECT_TRUE(loaded->initialized());
  EXPECT_TRUE(torch::equal(loaded->step, trained->step));
  EXPECT_TRUE(torch::equal(loaded->offset, trained->offset));
  // A loaded quantizer keeps its learned step instead of re-initialising from data.
  loaded->forward(torch::randn({2, 3, 4, 4}) * 100);
  EXPECT_TRUE(torch::equal(loaded->step, trained->step));
}

TEST(LsqQuantizer, LearnsThroughAutograd) {
  torch::manual_seed(3);
  LsqQuantizer q(LsqQuantizerOptions(4, TensorRole::kWeight));
  const auto w = torch::randn({4, 2, 3, 3}, torch::requires_grad());
  q->forward(w).pow(2).sum().backward();
  ASSERT_TRUE(q->step.grad().defined());
  EXPECT_NE(q->step.grad().item<double>(), 0.0);
  EXPECT_EQ(w.grad().sizes(), w.sizes());
}

TEST(LsqQuantizer, StepsDrivenTowardZeroStayPositive) {
  // An 8-bit Detect-like weight (step about 1e-4) under Adam at lr 1e-3 with a loss that only
  // rewards a smaller step: every update moves the step by about lr, ten times its size.
  torch::manual_seed(5);
  const auto w = torch::randn({16, 8, 1, 1}) * 0.005;
  for (const bool learn_offset : {false, true}) {
    LsqQuantizer q(LsqQuantizerOptions(8, TensorRole::kWeight).learn_offset(learn_offset));
    q->forward(w);
    torch::optim::Adam adam(q->parameters(), torch::optim::AdamOptions(1e-3));
    for (int i = 0; i < 50; ++i) {
      adam.zero_grad();
      const auto out = q->forward(w);
      ASSERT_TRUE(torch::isfinite(out).all().item<bool>()) << "update " << i;
      ASSERT_GT(q->step.item<double>(), 0.0) << "update " << i;
      (q->step.sum() * 1e3 + out.sum() * 0).backward();
      adam.step();
    }
    // The last update went below zero; the next forward projects it back.
    EXPECT_LE(q->step.item<double>(), 0.0);
    const auto out = q->forward(w);
    EXPECT_FLOAT_EQ(q->step.item<float>(), 1e-8f);
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  }
}

TEST(LsqQuantizer, FixedStepsAreNotProjected) {
  LsqQuantizer q(LsqQuantizerOptions(8, TensorRole::kActivation).learn_step(false));
  q->set_grid(torch::tensor({1.0 / 255}));
  q->forward(torch::rand({1, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(q->step.item<double>(), static_cast<double>(static_cast<float>(1.0 / 255)));
}

}  // namespace
}  // namespace qyolo::quant
