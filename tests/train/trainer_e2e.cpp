// End-to-end training runs on a few tiny FashionDet images: the run folder, results.csv,
// checkpoints, and a resumed run that equals the uninterrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/train/trainer.h"
#include "support/test_support.h"
#include "tiny_run.h"

namespace qyolo::train {
namespace {

using tiny::count_lines;

TEST(TrainerE2E, RunFolderAndResumeEqualsUninterrupted) {
  const auto root = test::temp_dir("trainer_e2e");
  const auto yaml = tiny::dataset(root);

  const auto straight = train(tiny::config(yaml, root / "runs", 2));
  EXPECT_EQ(straight.run_dir, root / "runs" / "exp");
  EXPECT_EQ(straight.epochs_completed, 2);
  EXPECT_EQ(count_lines(straight.run_dir / "results.csv"), 3);
  for (const char* file :
       {"weights/best.qyolo", "weights/last.qyolo", "config.yaml", "train.log", "results.png",
        "train_batch0.jpg", "confusion_matrix.png", "predictions.json"})
    EXPECT_TRUE(std::filesystem::exists(straight.run_dir / file)) << file;

  // A second run increments the folder name; stopped after one epoch, then resumed.
  auto one_epoch = tiny::config(yaml, root / "runs", 2);
  one_epoch.train.epochs = 1;
  const auto first = train(one_epoch);
  EXPECT_EQ(first.run_dir, root / "runs" / "exp2");
  TrainRunOptions resume;
  resume.resume = first.run_dir / "weights" / "last.qyolo";
  const auto resumed = train(tiny::config(yaml, root / "runs", 2), resume);
  EXPECT_EQ(resumed.run_dir, first.run_dir);
  EXPECT_EQ(resumed.epochs_completed, 2);

  const auto a = load_checkpoint(straight.run_dir / "weights" / "last.qyolo");
  const auto b = load_checkpoint(resumed.run_dir / "weights" / "last.qyolo");
  EXPECT_EQ(a.epoch, 1);
  EXPECT_EQ(b.epoch, 1);
  for (const auto& [name, value] : a.model)
    EXPECT_TRUE(torch::equal(value, b.model.at(name))) << name;
  for (const auto& [name, value] : a.ema) EXPECT_TRUE(torch::equal(value, b.ema.at(name))) << name;
}

TEST(TrainerE2E, QuantizedRunCalibratesAndStoresQuantizerState) {
  const auto root = test::temp_dir("trainer_e2e_quant");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.quant.enabled = true;
  config.quant.calib_batches = 1;
  config.quant.dampen.enabled = true;
  const auto summary = train(config);
  const auto ckpt = load_checkpoint(summary.run_dir / "weights" / "last.qyolo");
  int steps = 0;
  for (const auto& [name, value] : ckpt.ema)
    if (name.find(".quant.") != std::string::npos && name.find("step") != std::string::npos) {
      ++steps;
      EXPECT_TRUE(torch::isfinite(value).all().item<bool>()) << name;
    }
  EXPECT_GT(steps, 0);
  EXPECT_NE(ckpt.meta_json.find("stage"), std::string::npos);
  // One header line plus one row per tracked conv.
  EXPECT_GT(count_lines(summary.run_dir / "oscillation.csv"), 1);
}

// Two PNQ stages of one epoch each: the head at 4 bits, then the backbone binarized too; BN
// statistics re-estimated at each stage's end on up to 5 batches (the tiny set has 2).
config::ExperimentConfig pnq_config(const std::filesystem::path& data_yaml,
                                    const std::filesystem::path& project) {
  auto config = tiny::config(data_yaml, project, 2);
  config.quant.enabled = true;
  config.quant.calib_batches = 1;
  config.quant.recalibrate_bn = 5;
  config.quant.groups = {{"head", "10-23", 4, 4, "lsq", "lsq_plus"},
                         {"backbone", "0-9", 1, 1, "binary", "binary"}};
  config.quant.stages = {{"head", {"head"}, 1}, {"binary", {"head", "backbone"}, 1}};
  return config;
}

bool has_key(const TensorMap& state, const std::string& key) { return state.count(key) > 0; }

TEST(TrainerE2E, PnqStagesAddQuantizersAndResumeAcrossTheStageSwitch) {
  const auto root = test::temp_dir("trainer_e2e_pnq");
  const auto yaml = tiny::dataset(root);
  const auto straight = train(pnq_config(yaml, root / "runs"));
  EXPECT_EQ(straight.epochs_completed, 2);
  const auto weights = straight.run_dir / "weights";
  const auto stage0 = load_checkpoint(weights / "stage0_head.qyolo");
  const auto stage1 = load_checkpoint(weights / "stage1_binary.qyolo");
  EXPECT_EQ(stage0.epoch, 0);
  EXPECT_EQ(stage1.epoch, 1);
  EXPECT_EQ(stage0.meta_json, "{\"stage\": 0}");
  EXPECT_EQ(stage1.meta_json, "{\"stage\": 1}");
  // Stage 0 quantizes the head (and the 8-bit first conv), not the backbone's inner convs;
  // stage 1 adds binary quantizers to the backbone and keeps the head's learned steps.
  const std::string backbone = "model.2.cv1.conv.quant.weight_quantizer.";
  const std::string head = "model.13.cv1.conv.quant.weight_quantizer.step";
  EXPECT_TRUE(has_key(stage0.ema, head));
  EXPECT_FALSE(has_key(stage0.ema, backbone + "scale"));
  EXPECT_TRUE(has_key(stage1.ema, head));
  EXPECT_TRUE(has_key(stage1.ema, backbone + "scale"));
  // Each saved EMA's BN statistics come from a fresh average over all 2 training batches.
  const std::string batches_tracked = "model.2.cv1.bn.num_batches_tracked";
  ASSERT_TRUE(has_key(stage0.ema, batches_tracked));
  EXPECT_EQ(stage0.ema.at(batches_tracked).item<int64_t>(), 2);
  EXPECT_EQ(stage1.ema.at(batches_tracked).item<int64_t>(), 2);

  // results.csv marks each epoch's stage.
  std::ifstream csv(straight.run_dir / "results.csv");
  std::string header, row0, row1;
  std::getline(csv, header);
  std::getline(csv, row0);
  std::getline(csv, row1);
  EXPECT_NE(header.find(",x/stage"), std::string::npos);
  EXPECT_EQ(row0.substr(row0.rfind(',')), ",0");
  EXPECT_EQ(row1.substr(row1.rfind(',')), ",1");

  // Resuming from the end of stage 0 switches stages exactly as the uninterrupted run did.
  const auto copy = root / "runs" / "resumed";
  std::filesystem::copy(straight.run_dir, copy, std::filesystem::copy_options::recursive);
  std::filesystem::remove(copy / "weights" / "last.qyolo");
  TrainRunOptions resume;
  resume.resume = copy / "weights" / "stage0_head.qyolo";
  const auto resumed = train(pnq_config(yaml, root / "runs"), resume);
  EXPECT_EQ(resumed.epochs_completed, 2);
  const auto a = load_checkpoint(weights / "last.qyolo");
  const auto b = load_checkpoint(copy / "weights" / "last.qyolo");
  ASSERT_EQ(a.model.size(), b.model.size());
  for (const auto& [name, value] : a.model)
    EXPECT_TRUE(torch::equal(value, b.model.at(name))) << name;
  for (const auto& [name, value] : a.ema) EXPECT_TRUE(torch::equal(value, b.ema.at(name))) << name;
}

TEST(TrainerE2E, StagesMustAddUpToTheRunLength) {
  const auto root = test::temp_dir("trainer_e2e_pnq_epochs");
  auto config = pnq_config(root / "missing.yaml", root / "runs");
  config.train.epochs = 5;
  try {
    train(config);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1 + 1 = 2"), std::string::npos) << e.what();
  }
}

TEST(TrainerE2E, WithoutEmaTheLatentModelIsValidatedAndSaved) {
  const auto root = test::temp_dir("trainer_e2e_no_ema");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.quant.enabled = true;
  config.quant.calib_batches = 1;
  config.quant.ema = false;
  config.train.multi_scale = true;
  const auto summary = train(config);
  const auto ckpt = load_checkpoint(summary.run_dir / "weights" / "last.qyolo");
  EXPECT_TRUE(ckpt.ema.empty());
  EXPECT_FALSE(ckpt.model.empty());
  for (const char* file : {"val_batch0_labels.jpg", "val_batch0_pred.jpg", "oscillation.png"})
    EXPECT_TRUE(std::filesystem::exists(summary.run_dir / file)) << file;
}

TEST(TrainerE2E, ValLatentScoresTheLatentWeightsNextToTheEma) {
  const auto root = test::temp_dir("trainer_e2e_val_latent");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 2);
  config.quant.enabled = true;
  config.quant.calib_batches = 1;
  config.train.val_latent = true;
  config.train.ema_decay = 0.5;
  config.train.ema_tau = 1;
  const auto summary = train(config);
  std::ifstream csv(summary.run_dir / "results.csv");
  std::string header, row;
  std::getline(csv, header);
  EXPECT_NE(header.find(",metrics/mAP_0.5(latent),metrics/mAP_0.5:0.95(latent)"), std::string::npos)
      << header;
  int rows = 0;
  while (std::getline(csv, row)) {
    ++rows;
    EXPECT_EQ(std::count(row.begin(), row.end(), ','),
              std::count(header.begin(), header.end(), ','))
        << row;
  }
  EXPECT_EQ(rows, 2);
  EXPECT_TRUE(std::filesystem::exists(summary.run_dir / "latent_vs_ema.png"));
  // The EMA's decay comes from the config: after 2 epochs of 2 updates at decay 0.5 the EMA
  // differs from the latent weights.
  const auto ckpt = load_checkpoint(summary.run_dir / "weights" / "last.qyolo");
  EXPECT_EQ(ckpt.ema_updates, 4);
  const auto& w = "model.0.conv.weight";
  EXPECT_FALSE(torch::allclose(ckpt.ema.at(w), ckpt.model.at(w)));
}

TEST(TrainerE2E, SegmentationRunsLogMaskMetricsNextToBoxMetrics) {
  const auto root = test::temp_dir("trainer_e2e_seg");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.model = (test::source_dir() / "configs/models/yolov5n-seg.yaml").string();
  const auto summary = train(config);
  std::ifstream csv(summary.run_dir / "results.csv");
  std::string header, row;
  std::getline(csv, header);
  EXPECT_NE(header.find("metrics/mAP_0.5:0.95,metrics/precision(M),metrics/recall(M),"
                        "metrics/mAP_0.5(M),metrics/mAP_0.5:0.95(M)"),
            std::string::npos)
      << header;
  ASSERT_TRUE(std::getline(csv, row));
  EXPECT_EQ(std::count(row.begin(), row.end(), ','), std::count(header.begin(), header.end(), ','));
}

}  // namespace
}  // namespace qyolo::train
