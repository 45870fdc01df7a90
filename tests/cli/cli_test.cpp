// The qyolo binary as users run it: exit codes, messages, and what the commands print.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/subprocess.h"
#include "qyolo/data/thread_budget.h"
#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo {
namespace {

test::CommandResult qyolo(const std::string& args) {
  return test::run_command("cd " + test::source_dir().string() + " && " +
                           test::qyolo_bin().string() + " " + args);
}

// qyolo run in `dir` (commands that write runs/ or read datasets/ relative to it).
test::CommandResult qyolo_in(const std::filesystem::path& dir, const std::string& args) {
  return test::run_command("cd " + dir.string() + " && " + test::qyolo_bin().string() + " " + args);
}

// A FashionDet of 16 train and 8 val images at 160 px in <dir>/fd.
void make_tiny_fashiondet(const std::filesystem::path& dir) {
  const auto r = qyolo_in(dir, "data fashiondet --out fd --train 16 --val 8 --img 160");
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
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

// The QAT bench starts its FP and QAT processes without a shell: a binary and a model in a
// folder whose name holds a quote and a space reach them intact (a shell-quoted command line
// broke on the quote).
TEST(Cli, BenchQatRunsItsProcessesFromAnyPath) {
  const auto dir = test::temp_dir("cli") / "it's a dir";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(test::qyolo_bin(), dir / "qyolo");
  std::filesystem::permissions(dir / "qyolo", std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  std::filesystem::copy_file(test::model_yaml("yolov5n"), dir / "my model.yaml");
  const auto r =
      run_process({(dir / "qyolo").string(), "-q", "bench", "qat", "--model",
                   (dir / "my model.yaml").string(), "--batch", "1", "--img", "64", "--steps", "1",
                   "--warmup", "0", "--rounds", "1", "--threads", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("fp").size(), 1u);
  EXPECT_EQ(j.at("fp")[0].at("model"), (dir / "my model.yaml").string());
  EXPECT_EQ(j.at("qat")[0].at("quant"), "w4a4");
  EXPECT_GT(j.at("time_ratio").get<double>(), 0);
  EXPECT_EQ(j.at("threads").get<int>(), 1);
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

TEST(Cli, ThreadsZeroUsesEveryCoreOfTheProcess) {
  const std::string bench = "bench fake-quant --shape 2 3 16 16 --repeats 1 --json";
  auto threads = [&](const std::string& prefix, const std::string& args) {
    const auto r = test::run_command("cd " + test::source_dir().string() + " && " + prefix +
                                     test::qyolo_bin().string() + " " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output.substr(r.output.find('{'))).at("threads").get<int>();
  };
  EXPECT_EQ(threads("", bench), data::usable_cores());
  EXPECT_EQ(threads("", bench + " --threads 0"), data::usable_cores());
  EXPECT_EQ(threads("taskset -c 0 ", bench), 1);  // the affinity mask, not the machine
  EXPECT_EQ(threads("OMP_NUM_THREADS=1 ", bench), 1);
  EXPECT_EQ(threads("", bench + " --threads 3"), 3);
}

TEST(Cli, DetectSkipsUnreadableImagesNamingThemAndCountsThem) {
  const auto dir = test::temp_dir("cli_detect");
  std::filesystem::create_directories(dir / "images");
  cv::imwrite((dir / "images/good.png").string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar(9, 90, 200)));
  std::ofstream(dir / "images/broken.jpg") << "not a jpeg";
  const std::string detect =
      "detect --model configs/models/yolov5n.yaml --nc 10 --img 64 "
      "--project " +
      (dir / "runs").string() + " --source ";
  const auto r = qyolo(detect + (dir / "images").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("broken.jpg"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 of 2 files skipped"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "runs/exp/good.png"));

  std::filesystem::remove(dir / "images/good.png");
  const auto none = qyolo(detect + (dir / "images").string());
  EXPECT_EQ(none.exit_code, 1) << none.output;  // nothing could be processed
  EXPECT_NE(none.output.find("broken.jpg"), std::string::npos) << none.output;
  EXPECT_NE(qyolo("detect --help").output.find("Exit code 0 when at least one"), std::string::npos);
}

}  // namespace
}  // namespace qyolo

namespace qyolo {
namespace {

// A model trained on 3 classes scored on FashionDet's 10: the confusion matrix, sized from the
// model, was indexed with the labels' classes (abort: double free or corruption, exit 134).
TEST(Cli, ModelAndDataWithDifferentClassesAreRefused) {
  const auto dir = test::temp_dir("cli");
  make_tiny_fashiondet(dir);
  std::ofstream(dir / "nc3.yaml")
      << "path: fd\ntrain: images/train\nval: images/val\nnc: 3\nnames: [a, b, c]\n";
  std::ofstream(dir / "w4a4.yaml")
      << "model: models/yolov5n.yaml\ndata: nc3.yaml\nhyp: hyps/hyp.qat.yaml\n"
         "train: {epochs: 1, batch: 8, imgsz: 64, workers: 1, name: nc3, optimizer: Adam}\n"
         "quant: {enabled: true}\n";
  auto r = qyolo_in(dir, "train --config w4a4.yaml --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string weights = (dir / "runs/train/nc3/weights/last.qyolo").string();

  r = qyolo_in(dir, "eval --weights " + weights +
                        " --data fd/fashiondet.yaml --threads 1 --workers 1 --name mismatch");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "predicts 3 classes but")) << r.output;
  EXPECT_TRUE(contains(r.output, "fashiondet.yaml has 10")) << r.output;
  EXPECT_FALSE(contains(r.output, "mAP50-95")) << "the table came before the error\n" << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/val/mismatch"));

  r = qyolo_in(dir, "correct --weights " + weights +
                        " --data fd/fashiondet.yaml --threads 1 --workers 1 --batch 8");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "predicts 3 classes but")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs/train/nc3/weights/corrected.qyolo"));

  // The data it was trained on still works.
  r = qyolo_in(dir, "eval --weights " + weights + " --threads 1 --workers 1 --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// `val:` pointing elsewhere than images/val used to be scored against instances_val.json: exit 2
// after the table, no metrics.json.
TEST(Cli, EvalScoresAValSplitAgainstItsOwnAnnotationsOrSaysWhyNot) {
  const auto dir = test::temp_dir("cli");
  make_tiny_fashiondet(dir);
  std::ofstream(dir / "on_train.yaml")
      << "path: fd\ntrain: images/train\nval: images/train\nnc: 10\n"
         "names: [a, b, c, d, e, f, g, h, i, j]\n";
  const std::string eval =
      "eval --model models/yolov5n.yaml --nc 10 --img 64 --batch 8 "
      "--threads 1 --workers 1 --data on_train.yaml --name ";
  auto r = qyolo_in(dir, eval + "own");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto metrics = nlohmann::json::parse(std::ifstream(dir / "runs/val/own/metrics.json"));
  EXPECT_EQ(metrics.at("images").get<int>(), 16);
  EXPECT_TRUE(contains(metrics.at("coco_annotations").get<std::string>(),
                       "fd/annotations/instances_train.json"));
  EXPECT_EQ(metrics.at("coco_bbox").at("stats").size(), 12u);
  EXPECT_TRUE(std::filesystem::exists(dir / "runs/val/own/predictions.json"));

  std::filesystem::remove(dir / "fd/annotations/instances_train.json");
  r = qyolo_in(dir, eval + "none");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "COCO evaluation skipped")) << r.output;
  metrics = nlohmann::json::parse(std::ifstream(dir / "runs/val/none/metrics.json"));
  EXPECT_FALSE(metrics.contains("coco_bbox"));
  EXPECT_TRUE(contains(metrics.at("coco_note").get<std::string>(), "instances_train.json"));
  EXPECT_TRUE(metrics.contains("mAP50-95"));
}

TEST(Cli, EmptyConfigValueIsAUsageError) {
  const auto dir = test::temp_dir("cli");
  auto r = qyolo_in(dir, "train --config fashiondet/yolov5n_fp.yaml --set train.epochs=");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--set train.epochs=")) << r.output;
  EXPECT_TRUE(contains(r.output, "got an empty value, expected an integer in [1, 100000]"))
      << r.output;
  std::ofstream(dir / "exp.yaml") << "model: models/yolov5n.yaml\ntrain:\n  epochs:\n";
  r = qyolo_in(dir, "info --config exp.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "exp.yaml:3:3")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));
}

// Sizes off the model's stride are refused before any work, by one check, in every command.
TEST(Cli, ImageSizeOffTheStrideIsAUsageErrorEverywhere) {
  const auto dir = test::temp_dir("cli");
  const std::string nearest = "the nearest valid sizes are 32 and 64";
  auto r = qyolo_in(dir, "train --config fashiondet/yolov5n_fp.yaml --img 33 --threads 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "train.imgsz 33 is not a multiple of the model's stride 32"))
      << r.output;
  EXPECT_TRUE(contains(r.output, nearest)) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));

  const std::string model = " --model configs/models/yolov5n.yaml --img 33";
  r = qyolo("eval" + model + " --data fashiondet.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--img 33 is not a multiple")) << r.output;
  r = qyolo("export" + model + " -o " + (dir / "m.onnx").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, nearest)) << r.output;
  r = qyolo("detect" + model + " --source " + (dir / "none.jpg").string() + " --project " +
            (dir / "detect").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, nearest)) << r.output;
}

// Each bad --weights names the file and what is wrong with it (it used to say "give a model:
// ... or --weights" although --weights was given, or fail in basic_filebuf::underflow).
TEST(Cli, BadWeightsFileSaysWhatIsWrongWithIt) {
  const auto dir = test::temp_dir("cli");
  std::ofstream(dir / "empty.qyolo").close();
  std::ofstream(dir / "random.qyolo") << "\x13\x37 not a checkpoint at all \x01\x02";
  std::filesystem::create_directories(dir / "folder.qyolo");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing.qyolo", "no such file"},
      {"empty.qyolo", "the file is empty"},
      {"random.qyolo", "not a qyolo checkpoint"},
      {"folder.qyolo", "is a directory"}};
  for (const char* command : {"eval", "export", "detect --source x.jpg", "info"}) {
    for (const auto& [file, problem] : cases) {
      const auto r = qyolo_in(dir, std::string(command) + " --weights " + file);
      EXPECT_EQ(r.exit_code, 2) << command << " " << file << "\n" << r.output;
      EXPECT_TRUE(contains(r.output, "--weights " + file + ": " + problem))
          << command << " " << file << "\n"
          << r.output;
      EXPECT_FALSE(contains(r.output, "give a model")) << r.output;
    }
  }
  for (const char* flags : {"train --resume folder.qyolo", "train --config folder.qyolo",
                            "info --config folder.qyolo", "correct --weights folder.qyolo",
                            "train --config fashiondet/yolov5n_fp.yaml --weights folder.qyolo"}) {
    const auto r = qyolo_in(dir, flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "is a directory")) << flags << "\n" << r.output;
    EXPECT_FALSE(contains(r.output, "underflow")) << flags << "\n" << r.output;
  }
}

TEST(Cli, CheckpointWithNonFiniteWeightsIsRefused) {
  const auto dir = test::temp_dir("cli");
  nn::Model model(test::source_dir() / "configs/models/yolov5n.yaml", 10);
  Checkpoint ckpt;
  ckpt.model_yaml = model->yaml_text();
  ckpt.model = model->state();
  {
    torch::NoGradGuard no_grad;
    ckpt.model.at("model.2.cv1.conv.weight").view(-1)[5].fill_(INFINITY);
    ckpt.model.at("model.24.m.0.bias").view(-1)[0].fill_(NAN);
  }
  save_checkpoint(ckpt, dir / "diverged.qyolo");
  for (const char* command : {"eval --data fashiondet.yaml", "export --img 64"}) {
    const auto r = qyolo_in(dir, std::string(command) + " --weights diverged.qyolo");
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "diverged.qyolo: 2 of ") &&
                contains(r.output,
                         "hold NaN or inf values (model.2.cv1.conv.weight, "
                         "model.24.m.0.bias)"))
        << command << "\n"
        << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "diverged.onnx"));
}

TEST(Cli, ModelFilesNamedInAConfigAreCheckedWithTheirLocation) {
  const auto dir = test::temp_dir("cli");
  std::ofstream(dir / "exp.yaml") << "data: data/fashiondet.yaml\nmodel: models/yolov9n.yaml\n";
  auto r = qyolo_in(dir, "info --config " + (dir / "exp.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "exp.yaml:2:8")) << r.output;
  EXPECT_TRUE(contains(r.output, "'model' names 'models/yolov9n.yaml'")) << r.output;
  EXPECT_TRUE(
      contains(r.output, "tried models/yolov9n.yaml, " + (dir / "models/yolov9n.yaml").string()))
      << r.output;

  std::ifstream yolov5n(test::source_dir() / "configs/models/yolov5n.yaml");
  std::string text((std::istreambuf_iterator<char>(yolov5n)), std::istreambuf_iterator<char>());
  const auto at = text.find("width_multiple: ");
  text.replace(at, text.find('\n', at) - at, "width_multiple: 0");
  std::ofstream(dir / "zero.yaml") << text;
  r = qyolo_in(dir, "info --model zero.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "zero.yaml:")) << r.output;
  EXPECT_TRUE(contains(r.output, "width_multiple must be a positive number")) << r.output;

  std::ofstream(dir / "override.yaml")
      << "model: models/yolov5n.yaml\ndata: data/fashiondet.yaml\n"
         "quant:\n  enabled: true\n  overrides:\n    - {pattern: 'model.99.*', weight_bits: 8}\n";
  r = qyolo_in(dir, "info --config override.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "quant.overrides[0].pattern: 'model.99.*' matches no conv"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "model.0.conv, model.1.conv")) << r.output;
}

}  // namespace
}  // namespace qyolo
