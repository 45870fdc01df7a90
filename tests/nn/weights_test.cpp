// Loading weights by name: a report instead of a crash, and ultralytics' transfer rule for a
// different number of classes.
#include <gtest/gtest.h>

#include <fstream>

#include "qyolo/core/error.h"
#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

TEST(Weights, ReportsMissingUnexpectedAndMismatchedKeys) {
  Model model(test::model_yaml("yolov5n"));
  auto weights = model->state();
  std::map<std::string, torch::Tensor> copies;
  for (const auto& [name, tensor] : weights) copies[name] = tensor.detach().clone() + 1;
  copies.erase("model.0.conv.weight");
  copies["model.99.extra"] = torch::zeros({3});
  copies["model.1.bn.weight"] = torch::zeros({5});
  const auto before_bn = model->state().at("model.1.bn.weight").clone();

  const auto report = model->load_weights(copies);
  EXPECT_FALSE(report.complete());
  EXPECT_EQ(report.missing, std::vector<std::string>{"model.0.conv.weight"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"model.99.extra"});
  ASSERT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(report.mismatched[0].name, "model.1.bn.weight");
  EXPECT_EQ(report.mismatched[0].given, std::vector<int64_t>{5});
  EXPECT_EQ(report.loaded.size(), weights.size() - 2);
  EXPECT_TRUE(torch::equal(model->state().at("model.1.bn.weight"), before_bn));
  EXPECT_TRUE(torch::equal(model->state().at("model.2.cv1.conv.weight"),
                           copies.at("model.2.cv1.conv.weight")));
  const auto text = report.to_string();
  EXPECT_NE(text.find("missing 1 (model.0.conv.weight)"), std::string::npos) << text;
  EXPECT_NE(text.find("model.1.bn.weight model (32) file (5)"), std::string::npos) << text;

  EXPECT_THROW(model->load_weights(copies, LoadOptions().strict(true)), Error);
}

TEST(Weights, CopiesNeverAlias) {
  Model model(test::model_yaml("yolov5n"));
  auto source = torch::full({16, 3, 6, 6}, 0.5f);
  const auto report = model->load_weights({{"model.0.conv.weight", source}});
  EXPECT_EQ(report.loaded.size(), 1u);
  source.fill_(2.0f);
  EXPECT_TRUE(
      torch::equal(model->state().at("model.0.conv.weight"), torch::full({16, 3, 6, 6}, 0.5f)));
}

TEST(Weights, DifferentNcLoadsAllButTheClassOutputs) {
  Model model(test::model_yaml("yolov5n"), 3);
  EXPECT_EQ(model->no(), 8);
  const auto report = model->load_weights(test::fixtures_dir() / "v5n_forward.pt");
  EXPECT_TRUE(report.missing.empty());
  EXPECT_TRUE(report.unexpected.empty());
  ASSERT_EQ(report.mismatched.size(), 6u);
  for (const auto& m : report.mismatched) {
    EXPECT_EQ(m.name.rfind("model.24.m.", 0), 0u) << m.name;
    EXPECT_EQ(m.expected[0], 24);
    EXPECT_EQ(m.given[0], 255);
  }
  EXPECT_EQ(report.loaded.size(), 349u - 6u);
}

TEST(Weights, UnreadableFilesAreErrors) {
  const auto dir = test::temp_dir("nn_weights");
  EXPECT_THROW(read_state_dict(dir / "missing.pt"), Error);
  {
    std::ofstream bad(dir / "bad.pt");
    bad << "not a pickle";
  }
  EXPECT_THROW(read_state_dict(dir / "bad.pt"), Error);
}

}  // namespace
}  // namespace qyolo::nn
