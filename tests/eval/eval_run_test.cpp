// `qyolo eval` of a model through the library: which data and size it is scored at, and the
// results folder with metrics.json and predictions.json.
#include "qyolo/eval/eval_run.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qyolo/core/error.h"
#include "support/test_support.h"
#include "tiny_fashiondet.h"

namespace qyolo::eval {
namespace {

namespace fs = std::filesystem;

class EvalRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("eval_run");
    yaml_ = testing::tiny_fashiondet(dir_, 4, 4, 64);
    torch::manual_seed(0);
    model_ = nn::Model(test::model_yaml("yolov5n"), 10);
  }

  // Scores the model on the tiny FashionDet at 64 px into dir_/runs/<name>.
  EvalRunOptions options() const {
    return EvalRunOptions()
        .data(yaml_.string())
        .img(64)
        .batch(4)
        .workers(1)
        .model("yolov5n (untrained)")
        .project(dir_ / "runs")
        .name("exp");
  }

  fs::path dir_, yaml_;
  nn::Model model_{nullptr};
};

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(std::ifstream(path));
}

TEST_F(EvalRunTest, MetricsJsonHoldsUltralyticsAndCocoNumbers) {
  const auto run = evaluate_model(*model_, options());
  EXPECT_EQ(run.dir, dir_ / "runs/exp");
  EXPECT_EQ(run.img, 64);
  const auto metrics = read_json(run.dir / "metrics.json");
  EXPECT_EQ(metrics, run.report.metrics);
  EXPECT_EQ(metrics.at("weights"), "yolov5n (untrained)");
  EXPECT_EQ(metrics.at("images"), 4);
  EXPECT_EQ(metrics.at("instances"), run.result.labels);
  for (const char* key : {"precision", "recall", "mAP50", "mAP50-95"}) {
    EXPECT_TRUE(metrics.at(key).is_number()) << key;
  }
  EXPECT_FALSE(metrics.contains("mask_mAP50"));
  EXPECT_EQ(metrics.at("coco_annotations"), (dir_ / "fd/annotations/instances_val.json").string());
  // An untrained model may predict nothing at all; then COCO scoring says so instead.
  if (run.result.predictions.empty()) {
    EXPECT_EQ(metrics.at("coco_note"), "no predictions to score");
  } else {
    EXPECT_EQ(metrics.at("coco_bbox").at("stats").size(), 12u);
    EXPECT_NE(run.summary().find("COCO evaluation of " + (run.dir / "predictions.json").string()),
              std::string::npos);
  }
  EXPECT_EQ(read_json(run.dir / "predictions.json"), run.result.predictions);
  EXPECT_NE(run.summary().find("Speed: "), std::string::npos) << run.summary();
  EXPECT_NE(run.summary().find("mAP50-95"), std::string::npos) << run.summary();
}

TEST_F(EvalRunTest, ASecondRunGetsTheNextFolderUnlessExistOk) {
  evaluate_model(*model_, options());
  EXPECT_EQ(evaluate_model(*model_, options()).dir, dir_ / "runs/exp2");
  EXPECT_EQ(evaluate_model(*model_, options().exist_ok(true)).dir, dir_ / "runs/exp");
}

TEST_F(EvalRunTest, TheExperimentGivesTheDataAndACheckpointItsTrainingSize) {
  config::ExperimentConfig experiment;
  experiment.data = "fd/fashiondet.yaml";  // relative to the experiment's own folder
  experiment.source = dir_ / "exp.yaml";
  experiment.train.imgsz = 96;
  const auto run =
      evaluate_model(*model_, options().data("").img(std::nullopt).experiment(experiment));
  EXPECT_EQ(run.img, 640);  // a model built from a config, not a trained checkpoint
  EXPECT_EQ(run.split.origin, yaml_.string());

  const auto trained = evaluate_model(
      *model_, options().img(std::nullopt).experiment(experiment).checkpoint("last.qyolo"));
  EXPECT_EQ(trained.img, 96);
  EXPECT_EQ(evaluate_model(*model_, options().experiment(experiment).checkpoint("last.qyolo")).img,
            64);

  experiment.train.imgsz = 100;
  try {
    evaluate_model(*model_,
                   options().img(std::nullopt).experiment(experiment).checkpoint("last.qyolo"));
    FAIL() << "a size off the stride was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("train.imgsz (of last.qyolo) 100"), std::string::npos)
        << e.what();
  }
}

TEST_F(EvalRunTest, WhatCannotBeScoredFailsBeforeAnyFolderIsMade) {
  const auto usage_error = [&](const EvalRunOptions& o) {
    try {
      evaluate_model(*model_, o);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(usage_error(options().data("")).find("give the data to evaluate on"),
            std::string::npos);
  EXPECT_NE(usage_error(options().task("seg")).find("needs a segmentation model"),
            std::string::npos);
  nn::Model three(test::model_yaml("yolov5n"), 3);
  try {
    evaluate_model(*three, options());
    FAIL() << "a 3-class model was scored on 10-class data";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("predicts 3 classes"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "runs"));
}

TEST_F(EvalRunTest, ASegmentationModelAlsoReportsMaskMetrics) {
  nn::Model seg(test::model_yaml("yolov5n-seg"), 10);
  const auto run = evaluate_model(*seg, options());
  const auto metrics = read_json(run.dir / "metrics.json");
  EXPECT_TRUE(metrics.at("mask_mAP50").is_number());
  EXPECT_TRUE(metrics.at("mask_mAP50-95").is_number());
}

}  // namespace
}  // namespace qyolo::eval
