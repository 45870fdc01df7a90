#include "qyolo/train/stage_plan.h"

#include <gtest/gtest.h>

#include "qyolo/core/error.h"

namespace qyolo::train {
namespace {

TEST(StagePlan, OneStageWithoutPnq) {
  auto config = config::default_experiment({"train.epochs=7"});
  auto stages = plan_stages(config);
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].index, -1);
  EXPECT_EQ(stages[0].end_epoch(), 7);
  // Stages are ignored while quantization is off.
  config.quant.stages = {{"a", {}, 3}};
  EXPECT_EQ(plan_stages(config).size(), 1u);
}

TEST(StagePlan, StagesFollowEachOther) {
  auto config = config::default_experiment({"train.epochs=12", "quant.enabled=true"});
  config.quant.stages = {{"head", {}, 3}, {"weights", {}, 3}, {"all", {}, 6}};
  const auto stages = plan_stages(config);
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[1].index, 1);
  EXPECT_EQ(stages[1].name, "weights");
  EXPECT_EQ(stages[1].first_epoch, 3);
  EXPECT_EQ(stages[2].first_epoch, 6);
  EXPECT_EQ(stages[2].end_epoch(), 12);
  EXPECT_EQ(stage_position(stages, 0), 0u);
  EXPECT_EQ(stage_position(stages, 2), 0u);
  EXPECT_EQ(stage_position(stages, 3), 1u);
  EXPECT_EQ(stage_position(stages, 11), 2u);
  EXPECT_EQ(stage_position(stages, 40), 2u);
}

TEST(StagePlan, MismatchedLengthNamesBothFigures) {
  auto config = config::default_experiment({"train.epochs=10", "quant.enabled=true"});
  config.quant.stages = {{"head", {}, 3}, {"all", {}, 6}};
  try {
    plan_stages(config);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("train.epochs = 10"), std::string::npos) << message;
    EXPECT_NE(message.find("3 + 6 = 9"), std::string::npos) << message;
  }
  config.quant.stages[0].epochs = 0;
  config.train.epochs = 6;
  EXPECT_THROW(plan_stages(config), UsageError);
}

}  // namespace
}  // namespace qyolo::train
