// The qyolo binary as users run it: exit codes, messages, and what the commands print.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace qyolo {
namespace {

test::CommandResult qyolo(const std::string& args) {
  return test::run_command("cd " + test::source_dir().string() + " && " +
                           test::qyolo_bin().string() + " " + args);
}

TEST(Cli, VersionAndHelp) {
  const auto v = qyolo("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("qyolo "), std::string::npos);
  for (const char* cmd :
       {"train", "correct", "eval", "export", "detect", "info", "data", "bench"}) {
    const auto h = qyolo(std::string(cmd) + " --help");
    EXPECT_EQ(h.exit_code, 0) << cmd << "\n" << h.output;
    EXPECT_NE(h.output.find("--"), std::string::npos) << cmd;
  }
}

TEST(Cli, BenchFakeQuantReportsBothKernels) {
  const auto r = qyolo("bench fake-quant --shape 2 3 16 16 --repeats 2 --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_GT(j.at("fused_s").get<double>(), 0);
  EXPECT_GT(j.at("aten_s").get<double>(), 0);
  EXPECT_EQ(j.at("threads").get<int>(), 1);
  EXPECT_EQ(qyolo("bench fake-quant --shape 2 3").exit_code, 2);
}

TEST(Cli, BenchTrainStepWritesAProfilerTrace) {
  const auto dir = test::temp_dir("cli");
  const auto trace = dir / "step.trace";
  const auto r = qyolo(
      "bench train-step --batch 1 --img 64 --steps 1 --warmup 0 --quant w4a4 "
      "--threads 1 --json --trace " +
      trace.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_GT(j.at("step_s").get<double>(), 0);
  std::ifstream in(trace);
  const auto events = nlohmann::json::parse(in);
  const auto has = [&](const std::string& name) {
    return std::any_of(events.begin(), events.end(),
                       [&](const auto& e) { return e.value("name", "") == name; });
  };
  EXPECT_TRUE(has("aten::convolution_backward"));
}

TEST(Cli, BenchTrainStepTakesTheQuantGroupsOfAnExperimentYaml) {
  const auto r = qyolo(
      "bench train-step --batch 1 --img 64 --steps 1 --warmup 0 --threads 1 --json "
      "--quant fashiondet/yolov5n_mpq.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_GT(j.at("step_s").get<double>(), 0);
  // The allocator's reports reach the meter (their signature differs between LibTorch versions).
  EXPECT_GT(j.at("peak_tensor_mb").get<double>(), 0);
  EXPECT_EQ(j.at("quant").get<std::string>(), "fashiondet/yolov5n_mpq.yaml");
  const auto fp =
      qyolo("bench train-step --batch 1 --img 64 --steps 1 --quant fashiondet/yolov5n_fp.yaml");
  EXPECT_EQ(fp.exit_code, 2) << fp.output;
  EXPECT_NE(fp.output.find("quant.enabled is false"), std::string::npos) << fp.output;
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(qyolo("").exit_code, 2);
  EXPECT_EQ(qyolo("frobnicate").exit_code, 2);
  EXPECT_EQ(qyolo("info --img nonsense --model configs/models/yolov5n.yaml").exit_code, 2);
}

TEST(Cli, BadConfigValueNamesKeyAndExitsTwo) {
  const auto dir = test::temp_dir("cli");
  std::ofstream(dir / "bad.yaml") << "model: models/yolov5n.yaml\ntrain:\n  epochs: lots\n";
  const auto r = qyolo("info --config " + (dir / "bad.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("bad.yaml:3:11"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("train.epochs"), std::string::npos) << r.output;
}

TEST(Cli, MalformedModelYamlNamesFileAndLine) {
  const auto dir = test::temp_dir("cli");
  std::ofstream(dir / "m.yaml")
      << "nc: 80\ndepth_multiple: 1.0\nwidth_multiple: 1.0\n"
         "anchors: 3\nbackbone:\n  [[-1, 1, Conv, [64, 6, 2, 2]],\n"
         "   [-1, 1, Frobnicator, [128]]]\nhead:\n  [[-1, 1, Detect, [nc, anchors]]]\n";
  const auto r = qyolo("info --model " + (dir / "m.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("m.yaml:7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Frobnicator"), std::string::npos) << r.output;
}

// The parameter counts of the reference implementations at nc = 80.
TEST(Cli, InfoPrintsReferenceParameterCounts) {
  const std::vector<std::pair<std::string, int64_t>> models = {
      {"yolov5n", 1872157},     {"yolov5s", 7235389},  {"yolov5m", 21190557},
      {"yolov5l", 46563709},    {"yolov5x", 86749405}, {"yolov5s-seg", 7621277},
      {"yolov7-tiny", 6228762}, {"yolov7", 37622682}};
  for (const auto& [name, params] : models) {
    const auto r = qyolo("info --model configs/models/" + name + ".yaml --img 64 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
    EXPECT_EQ(j["params"].get<int64_t>(), params) << name;
  }
  const auto text = qyolo("info --model configs/models/yolov5s.yaml");
  EXPECT_NE(text.output.find("7235389 parameters"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("16.43 GFLOPs"), std::string::npos) << text.output;
}

TEST(Cli, InfoOfQuantizedConfigShowsBitsAndCompression) {
  const auto r = qyolo("info --config configs/yolov5s_w4a4.yaml --img 640");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.0.conv"), std::string::npos);
  EXPECT_NE(r.output.find("smaller"), std::string::npos);
  const auto mpq = qyolo("info --config configs/mpq/yolov5s_mpq.yaml --img 640 --json");
  ASSERT_EQ(mpq.exit_code, 0) << mpq.output;
  const auto j = nlohmann::json::parse(mpq.output.substr(mpq.output.find('{')));
  ASSERT_TRUE(j.contains("compression"));
}

TEST(Cli, EvalScoresACocoResultsFileLikePycocotools) {
  const auto fx = test::fixtures_dir();
  const auto r = qyolo("eval --predictions " + (fx / "metrics_coco_dets.json").string() +
                       " --annotations " + (fx / "metrics_coco_gt.json").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  const auto expected =
      nlohmann::json::parse(std::ifstream(fx / "metrics_case.json"))["coco_stats"];
  ASSERT_EQ(j["stats"].size(), 12u);
  for (size_t i = 0; i < 12; ++i)
    EXPECT_NEAR(j["stats"][i].get<double>(), expected[i].get<double>(), 1e-6) << i;
}

TEST(Cli, MissingDataSetSaysHowToCreateIt) {
  const auto dir = test::temp_dir("cli");
  std::ofstream(dir / "fashiondet.yaml") << "path: " << (dir / "nowhere").string()
                                         << "\ntrain: images/train\nval: images/val\nnc: 10\n"
                                            "names: [a, b, c, d, e, f, g, h, i, j]\n";
  const auto r = qyolo("eval --model configs/models/yolov5n.yaml --nc 10 --data " +
                       (dir / "fashiondet.yaml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("qyolo data fashiondet"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace qyolo
