// AutoAnchor in training runs: before the first epoch, with its anchors in the checkpoints; not
// when resuming, nor with train.noautoanchor.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "qyolo/core/checkpoint.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/train/trainer.h"
#include "support/test_support.h"
#include "tiny_run.h"

namespace qyolo::train {
namespace {

// train.log as written so far (the tests do not set up the CLI's flush at every message).
std::string run_log(const std::filesystem::path& run_dir) {
  spdlog::default_logger()->flush();
  return test::read_text(run_dir / "train.log");
}

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// yolov5n with an anchor count instead of anchors: placeholder anchors that fit no label.
std::filesystem::path anchor_count_yaml(const std::filesystem::path& root) {
  auto text = test::read_text(test::model_yaml("yolov5n"));
  const auto begin = text.find("anchors:\n");
  const auto end = text.find("\nbackbone:");
  text.replace(begin, end - begin, "anchors: 3\n");
  const auto path = root / "yolov5n_anchor_count.yaml";
  test::write_text(path, text);
  return path;
}

const char* const kAnchors = "model.24.anchors";
const char* const kCheckLine = "Best Possible Recall (BPR)";

TEST(AutoAnchorE2E, ReplacesAnchorsBeforeTrainingAndNotOnResume) {
  const auto root = test::temp_dir("autoanchor_e2e");
  const auto data = tiny::dataset(root);
  auto config = tiny::config(data, root / "runs", 2);
  config.model = anchor_count_yaml(root).string();
  const auto placeholder = nn::Model(std::filesystem::path(config.model))->anchors();

  auto one_epoch = config;
  one_epoch.train.epochs = 1;
  const auto first = train(one_epoch);
  const auto log = run_log(first.run_dir);
  EXPECT_EQ(occurrences(log, kCheckLine), 1) << log;
  EXPECT_NE(log.find("Anchors are a poor fit to dataset"), std::string::npos) << log;
  EXPECT_NE(log.find("AutoAnchor: Done: the model's anchors are replaced"), std::string::npos)
      << log;

  // The checkpoint carries the new anchors, in the trained model and its EMA, and a model
  // restored from it decodes with them.
  const auto last = first.run_dir / "weights" / "last.qyolo";
  const auto ckpt = load_checkpoint(last);
  const auto anchors = ckpt.model.at(kAnchors);
  EXPECT_FALSE(torch::allclose(anchors, placeholder));
  EXPECT_TRUE(torch::allclose(ckpt.ema.at(kAnchors), anchors));
  EXPECT_TRUE(torch::equal(quant::restore_model(ckpt, last.string()).model->anchors(),
                           ckpt.ema.at(kAnchors)));

  TrainRunOptions resume;
  resume.resume = last;
  const auto resumed = train(config, resume);
  EXPECT_EQ(resumed.epochs_completed, 2);
  EXPECT_EQ(occurrences(run_log(first.run_dir), kCheckLine), 1);
  EXPECT_TRUE(torch::equal(load_checkpoint(last).model.at(kAnchors), anchors));
}

TEST(AutoAnchorE2E, NoautoanchorKeepsTheYamlAnchors) {
  const auto root = test::temp_dir("autoanchor_e2e_off");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.train.noautoanchor = true;
  const auto run = train(config);
  EXPECT_EQ(run_log(run.run_dir).find("AutoAnchor: "), std::string::npos);
  const auto yaml_anchors = nn::Model(test::model_yaml("yolov5n"))->anchors();
  EXPECT_TRUE(torch::equal(
      load_checkpoint(run.run_dir / "weights" / "last.qyolo").model.at(kAnchors), yaml_anchors));
}

}  // namespace
}  // namespace qyolo::train
