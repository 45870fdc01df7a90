// Where the commands that need a model get it: a model yaml, an experiment config or weights.
#include "qyolo/quant/model_source.h"

#include <gtest/gtest.h>

#include <cmath>

#include "qyolo/core/error.h"
#include "qyolo/quant/policy.h"
#include "support/test_support.h"

namespace qyolo::quant {
namespace {

// The message of the UsageError load_model_source throws for `options` ("" when it loads).
std::string usage_error(const ModelSourceOptions& options) {
  try {
    load_model_source(options);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool quantized(const nn::ModelImpl& model) { return !conv_quantizers(model.conv_sites()).empty(); }

TEST(ModelSource, AModelYamlBuildsAFloatModel) {
  ModelSourceOptions o;
  o.model = "models/yolov5n.yaml";  // found among the shipped configs
  o.nc = 3;
  const auto loaded = load_model_source(o);
  EXPECT_EQ(loaded.model->nc(), 3);
  EXPECT_FALSE(quantized(*loaded.model));
  EXPECT_FALSE(loaded.config.has_value());
  EXPECT_EQ(loaded.description, "models/yolov5n.yaml");
}

// The classes of a config's model come from its data yaml when the config does not set nc.
TEST(ModelSource, AnExperimentConfigTakesItsDataClassesAndQuantizers) {
  ModelSourceOptions o;
  o.config = "fashiondet/yolov5n_w4a4.yaml";
  const auto loaded = load_model_source(o);
  ASSERT_TRUE(loaded.config.has_value());
  EXPECT_EQ(experiment_nc(*loaded.config), 10);
  EXPECT_EQ(loaded.model->nc(), 10);
  EXPECT_TRUE(quantized(*loaded.model));
  EXPECT_FALSE(loaded.checkpoint.has_value());

  o.sets = {"quant.enabled=false"};
  EXPECT_FALSE(quantized(*load_model_source(o).model));
}

TEST(ModelSource, ACheckpointRestoresItsModelAndSaysWhichWeights) {
  const auto dir = test::temp_dir("model_source");
  const nn::Model model(test::model_yaml("yolov5n"), 4);
  Checkpoint ckpt;
  ckpt.epoch = 2;
  ckpt.model_yaml = model->yaml_text();
  ckpt.model = model->state();
  save_checkpoint(ckpt, dir / "last.qyolo");

  ModelSourceOptions o;
  o.weights = (dir / "last.qyolo").string();
  const auto loaded = load_model_source(o);
  EXPECT_EQ(loaded.model->nc(), 4);
  ASSERT_TRUE(loaded.checkpoint.has_value());
  EXPECT_EQ(loaded.description, o.weights + " (train checkpoint, epoch 2)");

  o.latent = true;
  EXPECT_NE(usage_error(o).find("holds no EMA"), std::string::npos) << usage_error(o);
}

TEST(ModelSource, WhatCannotBeLoadedIsAUsageErrorSayingWhy) {
  const auto dir = test::temp_dir("model_source");
  EXPECT_NE(usage_error({}).find("give a model"), std::string::npos);

  ModelSourceOptions converted;
  converted.weights = (dir / "yolov5n.pt").string();
  test::write_text(converted.weights, "pickled weights");
  EXPECT_NE(usage_error(converted).find("need --model or --config as well"), std::string::npos)
      << usage_error(converted);

  nn::Model model(test::model_yaml("yolov5n"), 2);
  Checkpoint ckpt;
  ckpt.model_yaml = model->yaml_text();
  ckpt.model = model->state();
  {
    torch::NoGradGuard no_grad;
    ckpt.model.at("model.0.conv.weight").view(-1)[0].fill_(NAN);
  }
  save_checkpoint(ckpt, dir / "diverged.qyolo");
  ModelSourceOptions diverged;
  diverged.weights = (dir / "diverged.qyolo").string();
  EXPECT_NE(usage_error(diverged).find("hold NaN or inf values (model.0.conv.weight)"),
            std::string::npos)
      << usage_error(diverged);
}

}  // namespace
}  // namespace qyolo::quant
