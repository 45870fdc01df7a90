// The shipped model yamls build the reference architectures: parameter, module and MAC counts
// equal those of the reference code (fixtures/params.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "qyolo/nn/model.h"
#include "qyolo/nn/summary.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

nlohmann::json params_json() {
  std::ifstream file(test::fixtures_dir() / "params.json");
  return nlohmann::json::parse(file);
}

std::filesystem::path model_yaml(const std::string& name) {
  return test::source_dir() / "configs" / "models" / (name + ".yaml");
}

class ModelZooTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelZooTest, CountsMatchTheReference) {
  const auto expected = params_json()["models"][GetParam()];
  Model model(model_yaml(GetParam()));
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  EXPECT_EQ(params, expected["params"].get<int64_t>());
  EXPECT_EQ(model->module_count(), expected["layers_model_info"].get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(model->layers().size()), expected["yaml_layers"].get<int64_t>());
  int64_t layer_params = 0;
  for (const auto& layer : model->layers()) layer_params += layer.params;
  EXPECT_EQ(layer_params, params);
  EXPECT_EQ(model->nc(), 80);
  EXPECT_EQ(model->nl(), 3);
  EXPECT_EQ(model->na(), 3);
  EXPECT_TRUE(torch::equal(model->stride(), torch::tensor({8.0f, 16.0f, 32.0f})));
}

INSTANTIATE_TEST_SUITE_P(Shipped, ModelZooTest,
                         ::testing::Values("yolov5n", "yolov5s", "yolov5m", "yolov5l", "yolov5x",
                                           "yolov5s-seg", "yolov7-tiny", "yolov7"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name) c = std::isalnum(c) ? c : '_';
                           return name;
                         });

TEST(ModelZoo, Yolov5sPerConvMacsAt640) {
  const auto json = params_json();
  Model model(model_yaml("yolov5s"));
  const auto summary = summarize(*model, 640);
  const auto& expected = json["yolov5s_per_conv_640"];
  ASSERT_EQ(summary.convs.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    const auto& c = summary.convs[i];
    SCOPED_TRACE(c.path);
    EXPECT_EQ(c.path, e["name"].get<std::string>());
    EXPECT_EQ(c.layer, e["layer"].get<int>());
    EXPECT_EQ(c.in_c, e["in_c"].get<int64_t>());
    EXPECT_EQ(c.out_c, e["out_c"].get<int64_t>());
    EXPECT_EQ(c.k, e["k"][0].get<int64_t>());
    EXPECT_EQ(c.s, e["s"][0].get<int64_t>());
    EXPECT_EQ(c.p, e["p"][0].get<int64_t>());
    EXPECT_EQ(c.groups, e["groups"].get<int64_t>());
    EXPECT_EQ(c.in_h, e["in_hw"][0].get<int64_t>());
    EXPECT_EQ(c.in_w, e["in_hw"][1].get<int64_t>());
    EXPECT_EQ(c.out_h, e["out_hw"][0].get<int64_t>());
    EXPECT_EQ(c.out_w, e["out_hw"][1].get<int64_t>());
    EXPECT_EQ(c.macs, e["macs"].get<int64_t>());
    EXPECT_EQ(c.weight_numel, e["weight_numel"].get<int64_t>());
    EXPECT_EQ(c.bias_numel, e["bias_numel"].get<int64_t>());
  }
  EXPECT_EQ(summary.conv_macs, json["models"]["yolov5s"]["conv_macs_640"].get<int64_t>());
  const auto& layers = json["yolov5s_per_layer_640"];
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(summary.layer_macs[i], layers[i]["conv_macs"].get<int64_t>()) << "layer " << i;
    EXPECT_EQ(summary.layers[i].params, layers[i]["params"].get<int64_t>()) << "layer " << i;
  }
  EXPECT_EQ(summary.params, 7235389);
  EXPECT_EQ(summary.gradients, 7235389);
  EXPECT_EQ(summary.module_count, 214);
  const auto text = summary.to_string();
  EXPECT_NE(text.find("SPPF"), std::string::npos);
  EXPECT_NE(text.find("16.43 GFLOPs"), std::string::npos) << text;
}

TEST(ModelZoo, LayerTableFollowsParseModel) {
  Model model(model_yaml("yolov5s"));
  const auto& layers = model->layers();
  EXPECT_EQ(layers[0].args, "[3, 32, 6, 2, 2]");
  EXPECT_EQ(layers[2].type, "C3");
  EXPECT_EQ(layers[2].args, "[64, 64, 1]");
  EXPECT_EQ(layers[13].args, "[512, 256, 1, False]");
  EXPECT_EQ(layers[12].from, (std::vector<int>{-1, 6}));
  EXPECT_EQ(layers[12].out_channels, 512);
  EXPECT_EQ(layers[24].args,
            "[80, [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, "
            "326]], [128, 256, 512]]");
  Model yolov5m(model_yaml("yolov5m"));
  EXPECT_EQ(yolov5m->layers()[6].repeats, 6);  // round(9 · 0.67)
}

TEST(ModelZoo, SegmentHeadGeometry) {
  Model model(model_yaml("yolov5n-seg"));
  EXPECT_EQ(model->head_kind(), HeadKind::kSegment);
  EXPECT_EQ(model->nm(), 32);
  EXPECT_EQ(model->npr(), 64);  // make_divisible(256 · 0.25, 8)
  EXPECT_EQ(model->no(), 117);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto out = model->forward(torch::rand({2, 3, 64, 96}));
  ASSERT_EQ(out.raw.size(), 3u);
  EXPECT_EQ(out.raw[0].sizes(), (std::vector<int64_t>{2, 3, 8, 12, 117}));
  EXPECT_EQ(out.decoded.sizes(), (std::vector<int64_t>{2, 3 * (96 + 24 + 6), 117}));
  EXPECT_EQ(out.proto.sizes(), (std::vector<int64_t>{2, 32, 16, 24}));
}

}  // namespace
}  // namespace qyolo::nn
