#include "qyolo/train/train_step.h"

#include <gtest/gtest.h>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/train/optimizer.h"

namespace qyolo::train {
namespace {

// A small two-level detector: fast enough for many iterations in a unit test.
const nn::YamlSource kTinyYaml{R"(
nc: 2
depth_multiple: 1.0
width_multiple: 1.0
anchors:
  - [10,13, 16,30, 33,23]
  - [30,61, 62,45, 59,119]
backbone:
  [[-1, 1, Conv, [8, 3, 2]],
   [-1, 1, Conv, [16, 3, 2]],
   [-1, 1, Conv, [16, 3, 2]],
   [-1, 1, Conv, [16, 3, 2]],
  ]
head:
  [[[2, 3], 1, Detect, [nc, anchors]],
  ]
)",
                               "tiny.yaml"};

data::Batch synthetic_batch(int64_t seed) {
  torch::manual_seed(seed);
  data::Batch batch;
  batch.images = torch::randint(0, 256, {2, 3, 64, 64}, torch::kUInt8);
  batch.targets = torch::tensor({{0.f, 0.f, 0.3f, 0.4f, 0.2f, 0.3f},
                                 {1.f, 1.f, 0.6f, 0.5f, 0.4f, 0.25f},
                                 {1.f, 0.f, 0.2f, 0.7f, 0.1f, 0.1f}});
  batch.paths = {"a" + std::to_string(seed) + ".jpg", "b" + std::to_string(seed) + ".jpg"};
  return batch;
}

// Everything a run holds, built the same way each time.
struct TrainingRun {
  TrainingRun() {
    torch::manual_seed(0);
    model = nn::Model(kTinyYaml);
    LrScheduleOptions o;
    o.epochs = 2;
    o.batches_per_epoch = 4;
    o.batch_size = 2;
    o.nbs = 4;
    schedule = std::make_unique<LrSchedule>(o);
    optimizer = make_optimizer(group_parameters(*model), "SGD", o.hyp.lr0, o.hyp.momentum,
                               schedule->weight_decay());
    ema = std::make_unique<ModelEma>(std::make_shared<nn::ModelImpl>(kTinyYaml), *model);
    step = std::make_unique<TrainStep>(model, TaskLoss(*model, o.hyp, 64), *optimizer, *schedule,
                                       ema.get());
  }
  nn::Model model{nullptr};
  std::unique_ptr<LrSchedule> schedule;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<ModelEma> ema;
  std::unique_ptr<TrainStep> step;
};

void copy_into(const std::map<std::string, torch::Tensor>& from, const torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  for (auto& [name, value] : module_state(to)) value.copy_(from.at(name));
}

TEST(TrainStep, StepsEveryAccumulateIterationsAndUpdatesEma) {
  TrainingRun run;
  // Warmup starts the weights' lr at 0 and the biases' at warmup_bias_lr: a bias moves.
  const auto bias_name = group_parameters(*run.model).bias_names.front();
  const auto before = module_state(*run.model).at(bias_name).clone();
  const auto items = run.step->run(synthetic_batch(1), 0, 0, 0);
  ASSERT_EQ(items.size(0), 3);
  EXPECT_GT(items[1].item<double>(), 0);
  EXPECT_EQ(run.step->optimizer_steps(), 1);  // warmup accumulate = 1
  EXPECT_EQ(run.ema->updates(), 1);
  EXPECT_FALSE(torch::equal(before, module_state(*run.model).at(bias_name)));
  // After warmup (100 iterations) nbs 4 / batch 2 = 2 iterations per step.
  run.step->run(synthetic_batch(2), 200, 1, 0);
  run.step->run(synthetic_batch(3), 201, 1, 1);
  EXPECT_EQ(run.step->optimizer_steps(), 2);
  run.step->run(synthetic_batch(4), 202, 1, 2);
  EXPECT_EQ(run.step->optimizer_steps(), 3);
  EXPECT_EQ(run.step->last_optimizer_step(), 202);
}

TEST(TrainStep, NonFiniteLossNamesEpochBatchAndImagesAndLeavesWeights) {
  TrainingRun run;
  auto batch = synthetic_batch(1);
  {
    torch::NoGradGuard no_grad;
    module_state(*run.model).at("model.0.conv.weight")[0][0][0][0] =
        std::numeric_limits<float>::quiet_NaN();
  }
  const auto before = module_state(*run.model).at("model.1.conv.weight").clone();
  try {
    run.step->run(batch, 5, 3, 7);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("epoch 3"), std::string::npos) << message;
    EXPECT_NE(message.find("batch 7"), std::string::npos) << message;
    EXPECT_NE(message.find("b1.jpg"), std::string::npos) << message;
  }
  EXPECT_TRUE(torch::equal(before, module_state(*run.model).at("model.1.conv.weight")));
}

TEST(TrainStep, ResumedRunEqualsUninterruptedRun) {
  const int kSteps = 4;
  TrainingRun straight;
  for (int ni = 0; ni < kSteps; ++ni) straight.step->run(synthetic_batch(ni), ni, 0, ni);

  TrainingRun first;
  for (int ni = 0; ni < kSteps / 2; ++ni) first.step->run(synthetic_batch(ni), ni, 0, ni);
  std::map<std::string, torch::Tensor> model_state, ema_state;
  for (const auto& [k, v] : module_state(*first.model)) model_state.emplace(k, v.clone());
  for (const auto& [k, v] : first.ema->state()) ema_state.emplace(k, v.clone());
  const auto optimizer_bytes = optimizer_state_bytes(*first.optimizer);

  TrainingRun resumed;
  copy_into(model_state, *resumed.model);
  resumed.ema->load_state(ema_state, first.ema->updates());
  load_optimizer_state(*resumed.optimizer, optimizer_bytes);
  resumed.step->set_last_optimizer_step(first.step->last_optimizer_step());
  for (int ni = kSteps / 2; ni < kSteps; ++ni) resumed.step->run(synthetic_batch(ni), ni, 0, ni);

  const auto a = module_state(*straight.model);
  for (const auto& [name, value] : module_state(*resumed.model))
    EXPECT_TRUE(torch::equal(value, a.at(name))) << name;
  const auto ea = straight.ema->state();
  for (const auto& [name, value] : resumed.ema->state())
    EXPECT_TRUE(torch::equal(value, ea.at(name))) << name;
}

}  // namespace
}  // namespace qyolo::train
