// The training-step and QAT-overhead benchmarks behind `qyolo bench train-step` / `bench qat`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "qyolo/core/error.h"
#include "qyolo/train/bench_qat.h"
#include "qyolo/train/bench_train_step.h"
#include "support/test_support.h"

namespace qyolo::train {
namespace {

namespace fs = std::filesystem;

TEST(BenchTrainStep, QuantSpecs) {
  EXPECT_FALSE(bench_quant_config("none").enabled);
  const auto w3a5 = bench_quant_config("w3a5");
  EXPECT_TRUE(w3a5.enabled);
  EXPECT_EQ(w3a5.weight_bits, 3);
  EXPECT_EQ(w3a5.act_bits, 5);
  EXPECT_TRUE(bench_quant_config("fashiondet/yolov5n_mpq.yaml").enabled);
  EXPECT_THROW(bench_quant_config("w9a4"), UsageError);
  EXPECT_THROW(bench_quant_config("fashiondet/yolov5n_fp.yaml"), UsageError);
}

TEST(BenchTrainStep, TimesAStepAndItsMemory) {
  const auto r = bench_train_step(TrainStepBenchOptions()
                                      .model(test::model_yaml("yolov5n").string())
                                      .batch(1)
                                      .img(64)
                                      .quant("w4a4")
                                      .steps(2)
                                      .warmup(0),
                                  torch::kCPU);
  EXPECT_GT(r.step_s, 0);
  EXPECT_GT(r.peak_tensor_mb, 0);
  EXPECT_GT(r.peak_rss_mb, r.peak_tensor_mb);
  EXPECT_EQ(r.steps, 2);
  EXPECT_EQ(r.device, "cpu");
  const auto again = TrainStepBenchResult::from_json(r.to_json());
  EXPECT_EQ(again.to_json(), r.to_json());
  EXPECT_NE(r.to_string().find("quant w4a4"), std::string::npos) << r.to_string();
  EXPECT_THROW(bench_train_step(TrainStepBenchOptions().steps(0), torch::kCPU), UsageError);
}

// A stand-in for the qyolo binary, in a folder whose name a shell would split and unquote: it
// answers `bench train-step` with a JSON line whose step time is 1 s for FP and 3 s for w4a4.
fs::path fake_qyolo() {
  const auto dir = test::temp_dir("bench_qat") / "it's a dir";
  const auto path = dir / "fake qyolo";
  test::write_text(path, R"(#!/bin/sh
quant=; model=
while [ $# -gt 0 ]; do
  case "$1" in
    --quant) quant=$2 ;;
    --model) model=$(printf '%s' "$2" | sed 's/["\\]/\\&/g') ;;
  esac
  shift
done
[ "$quant" = w4a4 ] && s=3 || s=1
echo "loading the model"
printf '{"impl":"qyolo","model":"%s","batch":1,"img":64,"quant":"%s","device":"cpu","threads":1,"steps":1,"warmup":0,"step_s":%s,"peak_rss_mb":%s00,"peak_tensor_mb":%s0}\n' "$model" "$quant" $s $s $s
)");
  chmod(path.c_str(), 0755);
  return path;
}

TEST(BenchQat, RunsEachSideInItsOwnProcessWithTheArgumentsIntact) {
  const auto options = QatBenchOptions()
                           .step(TrainStepBenchOptions().model("my \"models\"/{it's}.yaml"))
                           .rounds(2)
                           .threads(1)
                           .executable(fake_qyolo());
  const auto argv = train_step_command(options, "w4a4");
  EXPECT_EQ(argv.front(), fake_qyolo().string());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "my \"models\"/{it's}.yaml"), argv.end());

  const auto r = bench_qat(options);
  ASSERT_EQ(r.fp.size(), 2u);
  ASSERT_EQ(r.qat.size(), 2u);
  EXPECT_EQ(r.fp[0].model, "my \"models\"/{it's}.yaml");
  EXPECT_EQ(r.qat[1].quant, "w4a4");
  EXPECT_EQ(r.time_ratios, (std::vector<double>{3.0, 3.0}));
  EXPECT_DOUBLE_EQ(r.time_ratio, 3.0);
  EXPECT_DOUBLE_EQ(r.memory_ratio, 3.0);
  EXPECT_DOUBLE_EQ(r.rss_ratio, 3.0);
  EXPECT_EQ(r.to_json().at("fp").size(), 2u);
  EXPECT_NE(r.to_string().find("QAT / FP: time 3.00x (median of 3.00 3.00)"), std::string::npos)
      << r.to_string();
}

TEST(BenchQat, AFailingProcessIsAnError) {
  EXPECT_THROW(bench_qat(QatBenchOptions().rounds(1).executable("/bin/false")), Error);
  EXPECT_THROW(bench_qat(QatBenchOptions().rounds(0)), UsageError);
}

}  // namespace
}  // namespace qyolo::train
