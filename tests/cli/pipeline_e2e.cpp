// The whole user journey on a small FashionDet, exactly as a user types it (in a fresh folder):
// data -> FP training -> W4A4 QAT -> `qyolo correct --epochs 1` -> eval -> export.
#include <gtest/gtest.h>

#include <fstream>
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

TEST_F(Pipeline, BadInputFailsCleanly) {
  auto r = qyolo("train --config fashiondet/yolov5n_fp.yaml --set train.epochs=zero");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("train.epochs"), std::string::npos) << r.output;
  r = qyolo("eval --weights does_not_exist.qyolo");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace qyolo
