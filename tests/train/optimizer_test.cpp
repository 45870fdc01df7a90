#include "qyolo/train/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "qyolo/core/error.h"
#include "qyolo/train/lr_schedule.h"

namespace qyolo::train {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// conv + BN + a quantizer-like child under "quant", the layout quant::apply produces.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    quant = register_module("quant", torch::nn::Linear(1, 1));
    head = register_module("head", torch::nn::Linear(4, 2));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear quant{nullptr}, head{nullptr};
};
TORCH_MODULE(TinyNet);

TEST(ParameterGroups, BiasesDecayedWeightsAndUndecayedWeights) {
  TinyNet net;
  net->head->weight.requires_grad_(false);
  const auto g = group_parameters(*net);
  EXPECT_TRUE(contains(g.bias_names, "conv.bias"));
  EXPECT_TRUE(contains(g.bias_names, "bn.bias"));
  EXPECT_TRUE(contains(g.bias_names, "head.bias"));
  EXPECT_EQ(g.decay_names, std::vector<std::string>{"conv.weight"});
  EXPECT_TRUE(contains(g.no_decay_names, "bn.weight"));
  EXPECT_TRUE(contains(g.no_decay_names, "quant.weight"));
  EXPECT_TRUE(contains(g.no_decay_names, "quant.bias"));
  EXPECT_FALSE(contains(g.bias_names, "quant.bias"));
  EXPECT_EQ(g.bias.size() + g.decay.size() + g.no_decay.size(), 7u);  // frozen head weight left out
}

TEST(Optimizer, SgdGroupsCarryDecayOnlyOnWeights) {
  TinyNet net;
  auto opt = make_optimizer(group_parameters(*net), "SGD", 0.01, 0.937, 5e-4);
  ASSERT_EQ(opt->param_groups().size(), 3u);
  const auto& o0 = static_cast<torch::optim::SGDOptions&>(opt->param_groups()[0].options());
  const auto& o1 = static_cast<torch::optim::SGDOptions&>(opt->param_groups()[1].options());
  const auto& o2 = static_cast<torch::optim::SGDOptions&>(opt->param_groups()[2].options());
  EXPECT_TRUE(o0.nesterov());
  EXPECT_DOUBLE_EQ(o0.momentum(), 0.937);
  EXPECT_DOUBLE_EQ(o0.weight_decay(), 0.0);
  EXPECT_DOUBLE_EQ(o1.weight_decay(), 5e-4);
  EXPECT_DOUBLE_EQ(o2.weight_decay(), 0.0);
}

TEST(Optimizer, AdamBetasFollowMomentumAndUnknownNameIsUsageError) {
  TinyNet net;
  auto opt = make_optimizer(group_parameters(*net), "AdamW", 1e-3, 0.9, 1e-2);
  const auto& o1 = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options());
  EXPECT_DOUBLE_EQ(std::get<0>(o1.betas()), 0.9);
  EXPECT_DOUBLE_EQ(o1.weight_decay(), 1e-2);
  const auto& o0 = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(o0.weight_decay(), 0.0);
  EXPECT_THROW(make_optimizer(group_parameters(*net), "RMSProp", 1e-3, 0.9, 0), UsageError);
}

TEST(LrSchedule, LinearAndCosineFactors) {
  LrScheduleOptions o;
  o.hyp.lrf = 0.01;
  o.epochs = 10;
  LrSchedule linear(o);
  EXPECT_DOUBLE_EQ(linear.lr_factor(0), 1.0);
  EXPECT_NEAR(linear.lr_factor(5), 0.505, 1e-12);
  EXPECT_NEAR(linear.lr_factor(10), 0.01, 1e-12);
  o.cos_lr = true;
  LrSchedule cosine(o);
  EXPECT_NEAR(cosine.lr_factor(0), 1.0, 1e-12);
  EXPECT_NEAR(cosine.lr_factor(5), 0.505, 1e-12);
  EXPECT_NEAR(cosine.lr_factor(10), 0.01, 1e-12);
  EXPECT_GT(cosine.lr_factor(2), linear.lr_factor(2));
}

TEST(LrSchedule, WarmupRampsLrMomentumAndAccumulation) {
  TinyNet net;
  LrScheduleOptions o;
  o.epochs = 3;
  o.batches_per_epoch = 20;  // 3 warmup epochs = 60 < 100 iterations
  o.batch_size = 16;
  LrSchedule schedule(o);
  EXPECT_EQ(schedule.warmup_iterations(), 100);
  EXPECT_EQ(schedule.accumulate(), 4);
  EXPECT_DOUBLE_EQ(schedule.weight_decay(), 0.0005);

  auto opt = make_optimizer(group_parameters(*net), "SGD", o.hyp.lr0, o.hyp.momentum, 0);
  EXPECT_EQ(schedule.apply(*opt, 0, 0), 1);
  EXPECT_DOUBLE_EQ(group_lr(opt->param_groups()[0]), 0.1);
  EXPECT_DOUBLE_EQ(group_lr(opt->param_groups()[1]), 0.0);
  EXPECT_DOUBLE_EQ(
      static_cast<torch::optim::SGDOptions&>(opt->param_groups()[1].options()).momentum(), 0.8);

  // Halfway: lr halfway between start and lr0·lf(epoch); accumulate round(2.5) = 2 (half-even).
  EXPECT_EQ(schedule.apply(*opt, 50, 1), 2);
  const double target = 0.01 * schedule.lr_factor(1);
  EXPECT_NEAR(group_lr(opt->param_groups()[0]), (0.1 + target) / 2, 1e-12);
  EXPECT_NEAR(group_lr(opt->param_groups()[2]), target / 2, 1e-12);

  EXPECT_EQ(schedule.apply(*opt, 101, 2), 4);
  for (auto& g : opt->param_groups()) EXPECT_NEAR(group_lr(g), 0.01 * schedule.lr_factor(2), 1e-15);
}

TEST(LrSchedule, InterpIsClampedOutsideTheSegment) {
  EXPECT_DOUBLE_EQ(interp(-1, 0, 10, 1, 3), 1);
  EXPECT_DOUBLE_EQ(interp(5, 0, 10, 1, 3), 2);
  EXPECT_DOUBLE_EQ(interp(11, 0, 10, 1, 3), 3);
}

}  // namespace
}  // namespace qyolo::train
