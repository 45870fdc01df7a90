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

}  // namespace
}  // namespace qyolo::quant
