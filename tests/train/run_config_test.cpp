// The config a training run starts from: an experiment yaml, or the one a checkpoint stores.
#include <gtest/gtest.h>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/train/trainer.h"
#include "support/test_support.h"

namespace qyolo::train {
namespace {

TEST(RunConfig, AnExperimentYamlWithOverrides) {
  const auto cfg = load_run_config("fashiondet/yolov5n_fp.yaml", "", {"train.epochs=2"});
  EXPECT_EQ(cfg.model, "models/yolov5n.yaml");
  EXPECT_EQ(cfg.train.epochs, 2);
}

// A resumed run continues with the config it was started with, whatever --config says.
TEST(RunConfig, AResumedRunTakesTheConfigOfItsCheckpoint) {
  const auto dir = test::temp_dir("run_config");
  Checkpoint ckpt;
  ckpt.config_yaml = config::to_yaml(load_run_config("fashiondet/yolov5n_w4a4.yaml", ""));
  save_checkpoint(ckpt, dir / "last.qyolo");
  const auto cfg = load_run_config("fashiondet/yolov5n_fp.yaml", (dir / "last.qyolo").string(),
                                   {"train.batch=4"});
  EXPECT_TRUE(cfg.quant.enabled);
  EXPECT_EQ(cfg.train.batch, 4);
}

TEST(RunConfig, NeitherOrAForeignResumeFileIsAUsageError) {
  EXPECT_THROW(load_run_config("", ""), UsageError);
  const auto dir = test::temp_dir("run_config");
  test::write_text(dir / "last.qyolo", "not a checkpoint");
  EXPECT_THROW(load_run_config("", (dir / "last.qyolo").string()), UsageError);
}

}  // namespace
}  // namespace qyolo::train
