// summarize() measures convs at any size and leaves the model as it found it; copy_model gives
// an independent model.
#include "qyolo/nn/summary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

class PassThroughHookImpl : public ConvHookImpl {
 public:
  torch::Tensor input(const torch::Tensor& x) override { return x; }
  torch::Tensor weight(const torch::Tensor& w) override { return w; }
};

TEST(Summary, ScalesWithImageSizeAndKeepsHooksAndMode) {
  std::ifstream file(test::fixtures_dir() / "params.json");
  const auto json = nlohmann::json::parse(file);
  Model model(test::model_yaml("yolov5n"));
  auto hook = std::make_shared<PassThroughHookImpl>();
  auto first = model->conv_sites().front().conv;
  first->set_hook(hook);
  model->train();
  const auto summary = summarize(*model, 128);
  // Every map is exactly 1/5 of its size at 640 px in each dimension.
  EXPECT_EQ(summary.conv_macs * 25, json["models"]["yolov5n"]["conv_macs_640"].get<int64_t>());
  EXPECT_EQ(summary.convs.front().in_h, 128);
  EXPECT_EQ(summary.convs.front().out_h, 64);
  EXPECT_EQ(first->hook(), hook);
  EXPECT_TRUE(model->is_training());
  EXPECT_EQ(summary.module_count, 214 + 1);  // the installed hook is a module too
}

TEST(CopyModel, IsIndependentAndEqual) {
  Model model(test::model_yaml("yolov5n"), 5);
  model->eval();
  auto copy = copy_model(*model);
  EXPECT_EQ(copy->nc(), 5);
  EXPECT_FALSE(copy->is_training());
  const auto x = torch::rand({1, 3, 64, 64});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(copy->forward(x).decoded, model->forward(x).decoded));
  copy->state().at("model.0.conv.weight").fill_(0);
  EXPECT_FALSE(torch::equal(copy->forward(x).decoded, model->forward(x).decoded));
}

TEST(Summary, JsonHoldsTheTotalsAndOneRowPerLayer) {
  Model model(test::model_yaml("yolov5n"));
  const auto summary = summarize(*model, 64);
  const auto j = summary.to_json();
  EXPECT_EQ(j.at("params").get<int64_t>(), summary.params);
  EXPECT_EQ(j.at("imgsz").get<int64_t>(), 64);
  EXPECT_EQ(j.at("conv_macs").get<int64_t>(), summary.conv_macs);
  EXPECT_DOUBLE_EQ(j.at("gflops").get<double>(), summary.gflops());
  ASSERT_EQ(j.at("table").size(), summary.layers.size());
  int64_t macs = 0;
  for (const auto& row : j.at("table")) macs += row.at("conv_macs").get<int64_t>();
  EXPECT_EQ(macs, summary.conv_macs);
  EXPECT_EQ(j.at("table")[0].at("module"), summary.layers[0].type);
}

}  // namespace
}  // namespace qyolo::nn
