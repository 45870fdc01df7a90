#include "qyolo/train/model_ema.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qyolo::train {
namespace {

std::shared_ptr<torch::nn::Module> make_net() {
  auto net = std::make_shared<torch::nn::SequentialImpl>(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 2, 1)), torch::nn::BatchNorm2d(2));
  return net;
}

TEST(ModelEma, StartsAsACopyAndAveragesParametersAndFloatBuffers) {
  auto model = make_net();
  auto ema = ModelEma(make_net(), *model);
  for (const auto& [name, value] : ema.state())
    EXPECT_TRUE(torch::equal(value, module_state(*model).at(name))) << name;
  EXPECT_FALSE(ema.module().is_training());

  const auto before = ema.state().at("0.weight").clone();
  const auto mean_before = ema.state().at("1.running_mean").clone();
  const auto tracked_before = ema.state().at("1.num_batches_tracked").clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(1.0);
    module_state(*model).at("1.running_mean").add_(2.0);
    module_state(*model).at("1.num_batches_tracked").add_(5);
  }
  ema.update(*model);
  const double d = 0.9999 * (1 - std::exp(-1.0 / 2000));
  EXPECT_NEAR(ema.decay_at(1), d, 1e-15);
  EXPECT_TRUE(torch::allclose(ema.state().at("0.weight"), before + (1 - d) * 1.0, 0, 1e-6));
  EXPECT_TRUE(
      torch::allclose(ema.state().at("1.running_mean"), mean_before + (1 - d) * 2.0, 0, 1e-6));
  // Integer buffers are not averaged.
  EXPECT_TRUE(torch::equal(ema.state().at("1.num_batches_tracked"), tracked_before));
  EXPECT_EQ(ema.updates(), 1);
}

TEST(ModelEma, StateRoundTrip) {
  auto model = make_net();
  auto ema = ModelEma(make_net(), *model);
  for (int i = 0; i < 3; ++i) {
    {
      torch::NoGradGuard no_grad;
      for (auto& p : model->parameters()) p.add_(0.5);
    }
    ema.update(*model);
  }
  std::map<std::string, torch::Tensor> saved;
  for (const auto& [name, value] : ema.state()) saved.emplace(name, value.clone());

  auto restored = ModelEma(make_net(), *make_net());
  restored.load_state(saved, ema.updates());
  EXPECT_EQ(restored.updates(), 3);
  for (const auto& [name, value] : restored.state())
    EXPECT_TRUE(torch::equal(value, saved.at(name))) << name;
  EXPECT_THROW(restored.load_state({}, 0), std::exception);
}

}  // namespace
}  // namespace qyolo::train
