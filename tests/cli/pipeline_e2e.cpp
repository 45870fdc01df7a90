// The whole user journey on a small FashionDet, exactly as a user types it (in a fresh folder):
// data -> FP training -> W4A4 QAT -> `qyolo correct --epochs 1` -> eval -> export.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace qyolo {
namespace {

// Each test works in a folder of its own (ctest runs tests in parallel).
class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::temp_dir("pipeline"); }

  test::CommandResult qyolo(const std::string& args) const {
    return test::run_command("cd " + dir_.string() + " && " + test::qyolo_bin().string() + " " +
                             args);
  }

  std::filesystem::path dir_;
};

TEST_F(Pipeline, FromDataToDeployment) {
  const std::string small = " --img 160 --batch 8 --workers 1 --threads 1";
  auto r = qyolo("data fashiondet --out datasets/fashiondet --train 48 --val 16 --img 160");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  r = qyolo("train --config fashiondet/yolov5n_fp.yaml --epochs 2" + small);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto fp = dir_ / "runs/train/fashiondet_yolov5n_fp";
  for (const char* f :
       {"weights/best.qyolo", "weights/last.qyolo", "results.csv", "results.png", "config.yaml",
        "train_batch0.jpg", "PR_curve.png", "confusion_matrix.png"}) {
    EXPECT_TRUE(std::filesystem::exists(fp / f)) << f;
  }

  // The W4A4 config starts from the FP run's best.qyolo by itself.
  r = qyolo("train --config fashiondet/yolov5n_w4a4.yaml --epochs 1" + small);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto q = dir_ / "runs/train/fashiondet_yolov5n_w4a4";
  ASSERT_TRUE(std::filesystem::exists(q / "weights/best.qyolo"));

  // The latent weights of the QAT run (what a run without EMA reaches), at the training size.
  r = qyolo("eval --weights " + (q / "weights/last.qyolo").string() + " --latent");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("at shape (32, 3, 160, 160)"), std::string::npos) << r.output;
  const auto metrics = nlohmann::json::parse(std::ifstream(dir_ / "runs/val/exp/metrics.json"));
  EXPECT_NE(metrics.at("weights").get<std::string>().find("latent weights"), std::string::npos);

  // As a new user types it: no flags but the epoch count.
  r = qyolo("correct --epochs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fashiondet_yolov5n_w4a4/weights/best.qyolo"), std::string::npos)
      << r.output;
  ASSERT_TRUE(std::filesystem::exists(q / "weights/corrected.qyolo"));

  r = qyolo("eval --weights " + (q / "weights/corrected.qyolo").string() + " --img 160 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mAP50-95"), std::string::npos);
  EXPECT_NE(r.output.find("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]"),
            std::string::npos)
      << r.output;

  r = qyolo("export --weights " + (q / "weights/corrected.qyolo").string() +
            " --format onnx --img 160");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(q / "weights/corrected.onnx"));
  r = qyolo("export --weights " + (q / "weights/corrected.qyolo").string() + " --format qyolo-int");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto packed = std::filesystem::file_size(q / "weights/corrected.qint");
  const auto fp_size = std::filesystem::file_size(fp / "weights/best.qyolo");
  EXPECT_LT(packed * 4, fp_size) << "packed W4 model should be far smaller than the FP checkpoint";
}

// Two local processes through scripts/launch_local.sh: FP training, then MPQ with two PNQ stages
// started from it. Each epoch the ranks check that they hold the same parameters.
TEST_F(Pipeline, DataParallelTrainingWithPnqStages) {
  auto r = qyolo("data fashiondet --out datasets/fashiondet --train 32 --val 8 --img 160");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string launch = "cd " + dir_.string() + " && QYOLO_BIN=" + test::qyolo_bin().string() +
                             " bash " + (test::source_dir() / "scripts/launch_local.sh").string() +
                             " 2 ";
  const std::string small = " --img 160 --batch 8 --workers 1 --threads 1";
  r = test::run_command(launch + "train --config fashiondet/yolov5n_fp.yaml --epochs 1 --name fp" +
                        small + " --set train.sync_bn=true");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Data parallel: 2 processes (gloo), 4 images per process"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("SyncBatchNorm in 57 Conv blocks"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "runs/train/fp/weights/last.qyolo"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "runs/train/fp2"));  // one run folder, rank 0's

  r = test::run_command(
      launch + "train --config fashiondet/yolov5n_mpq.yaml --epochs 2 --name mpq" + small +
      " --weights runs/train/fp/weights/last.qyolo --set 'quant.stages=[{name: head, groups: " +
      "[head], epochs: 1}, {name: binary, groups: [head, backbone], epochs: 1}]'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PNQ stage 2/2 'binary'"), std::string::npos) << r.output;
  for (const char* f : {"weights/stage0_head.qyolo", "weights/stage1_binary.qyolo",
                        "weights/best.qyolo", "oscillation.png", "val_batch0_pred.jpg"})
    EXPECT_TRUE(std::filesystem::exists(dir_ / "runs/train/mpq" / f)) << f;

  // Quantization correction of the MPQ model, data parallel too.
  r = test::run_command(launch + "correct --epochs 1 --weights runs/train/mpq/weights/best.qyolo" +
                        " --batch 8 --workers 1 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("after correction (folded)"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "runs/train/mpq/weights/corrected.qyolo"));

  // A global batch the processes cannot share evenly is a usage error.
  r = test::run_command(launch + "train --config fashiondet/yolov5n_fp.yaml --epochs 1 --name odd" +
                        " --img 160 --batch 7 --workers 1 --threads 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not a multiple of the number of processes"), std::string::npos)
      << r.output;
}

TEST_F(Pipeline, BadInputFailsCleanly) {
  auto r = qyolo("train --config fashiondet/yolov5n_fp.yaml --set train.epochs=zero");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("train.epochs"), std::string::npos) << r.output;
  r = qyolo("eval --weights does_not_exist.qyolo");
  EXPECT_NE(r.exit_code, 0);
}

// Ctrl-C during training, then two common mistakes with the run it leaves: resuming it although
// it is finished, and exporting into a folder.
TEST_F(Pipeline, CtrlCStopsTrainingAndMistakesAfterwardsExitWithCode2) {
  auto r = qyolo("data fashiondet --out datasets/fashiondet --train 16 --val 8 --img 160");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string last = "runs/train/fashiondet_yolov5n_fp/weights/last.qyolo";
  // Job control (set -m): a background job of a script would otherwise ignore SIGINT.
  r = test::run_command(
      "cd " + dir_.string() + " && bash -c 'set -m; " + test::qyolo_bin().string() +
      " train --config fashiondet/yolov5n_fp.yaml --epochs 50 --img 128 --batch 8 --workers 1" +
      " --threads 1 > train.out 2>&1 & pid=$!; while [ ! -f " + last +
      " ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done; kill -INT $pid; wait $pid;" +
      " echo exit=$?'");
  EXPECT_NE(r.output.find("exit=130"), std::string::npos) << r.output;
  std::ifstream out(dir_ / "train.out");
  const std::string screen{std::istreambuf_iterator<char>(out), {}};
  EXPECT_NE(screen.find("Interrupted by SIGINT"), std::string::npos) << screen;
  EXPECT_NE(screen.find("resume with qyolo train --resume " + last), std::string::npos) << screen;

  // Resumed to 1 epoch, the run is already finished.
  r = qyolo("train --resume " + last + " --epochs 1 --threads 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("training to 1 epochs is finished"), std::string::npos) << r.output;

  // Exporting into an existing folder is refused before anything is written.
  std::filesystem::create_directories(dir_ / "exported");
  r = qyolo("export --weights " + last + " -o exported");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("it is a folder"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "exported"));
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace qyolo
