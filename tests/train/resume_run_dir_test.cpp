#include <gtest/gtest.h>

#include "qyolo/train/trainer.h"
#include "support/test_support.h"

namespace qyolo::train {
namespace {

TEST(ResumeRunDir, ACheckpointInWeightsContinuesItsRun) {
  const auto root = test::temp_dir("resume_run_dir");
  config::TrainConfig train;
  EXPECT_EQ(resume_run_dir(root / "runs/exp3/weights/last.qyolo", train), root / "runs/exp3");
}

// `qyolo train --resume last.qyolo` from a download folder used to write config.yaml, train.log
// and weights/ into the working directory.
TEST(ResumeRunDir, ACheckpointElsewhereStartsANewRunFolderFromItsConfig) {
  const auto root = test::temp_dir("resume_run_dir");
  config::TrainConfig train;
  train.project = (root / "runs").string();
  train.name = "fp";
  std::filesystem::create_directories(root / "runs/fp");
  EXPECT_EQ(resume_run_dir(root / "downloads/last.qyolo", train), root / "runs/fp2");
  EXPECT_EQ(resume_run_dir("last.qyolo", train), root / "runs/fp2");
}

}  // namespace
}  // namespace qyolo::train
