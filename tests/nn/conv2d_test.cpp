// nn::Conv2d: plain conv2d, and the ConvHook seam quantization uses without renaming anything.
#include "qyolo/nn/conv2d.h"

#include <gtest/gtest.h>

#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

// Doubles the input, zeroes the weight and adds 3 to the output, with a parameter of its own.
class ProbeHookImpl : public ConvHookImpl {
 public:
  ProbeHookImpl() { step = register_parameter("step", torch::ones({1})); }
  torch::Tensor input(const torch::Tensor& x) override { return 2 * x; }
  torch::Tensor weight(const torch::Tensor& w) override { return w * 0; }
  torch::Tensor output(const torch::Tensor& y) override { return y + 3; }
  torch::Tensor step;
};

TEST(Conv2d, MatchesTorchConvAndHonoursOptions) {
  Conv2d conv(Conv2dOptions(4, 6, 3).stride(2).padding(1).groups(2).bias(true));
  EXPECT_EQ(conv->weight.sizes(), (std::vector<int64_t>{6, 2, 3, 3}));
  auto x = torch::randn({1, 4, 9, 9});
  auto expected = torch::conv2d(x, conv->weight, conv->bias, 2, 1, 1, 2);
  EXPECT_TRUE(torch::allclose(conv->forward(x), expected));
  Conv2d no_bias(Conv2dOptions(4, 6, 1));
  EXPECT_FALSE(no_bias->bias.defined());
  EXPECT_EQ(no_bias->named_parameters().size(), 1u);
}

TEST(Conv2d, HookWrapsInputWeightAndOutput) {
  Conv2d conv(Conv2dOptions(2, 3, 1).bias(true));
  auto hook = std::make_shared<ProbeHookImpl>();
  conv->set_hook(hook);
  EXPECT_EQ(conv->hook(), hook);
  auto x = torch::randn({1, 2, 4, 4});
  auto expected = conv->bias.view({1, 3, 1, 1}).expand({1, 3, 4, 4}) + 3;
  EXPECT_TRUE(torch::allclose(conv->forward(x), expected));
  auto names = conv->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias", "quant.step"}));
  conv->set_hook(nullptr);
  EXPECT_EQ(conv->named_parameters().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_FALSE(torch::allclose(conv->forward(x), expected));
}

TEST(ConvSites, EveryConvWithItsBatchNorm) {
  Model v5(test::source_dir() / "configs" / "models" / "yolov5s.yaml");
  const auto sites = v5->conv_sites();
  ASSERT_EQ(sites.size(), 60u);
  EXPECT_EQ(sites[0].path, "model.0.conv");
  EXPECT_EQ(sites[0].layer, 0);
  ASSERT_TRUE(sites[0].bn);
  EXPECT_EQ(sites[0].bn.ptr(), v5->named_modules()["model.0.bn"]);
  const auto& last = sites.back();
  EXPECT_EQ(last.path, "model.24.m.2");
  EXPECT_EQ(last.layer, 24);
  EXPECT_FALSE(last.bn);
  EXPECT_EQ(last.conv.ptr(), v5->head().output_conv(2).ptr());

  Model v7(test::source_dir() / "configs" / "models" / "yolov7.yaml");
  for (const auto& site : v7->conv_sites()) {
    if (site.path == "model.102.rbr_dense.0") {
      ASSERT_TRUE(site.bn);
      EXPECT_EQ(site.bn.ptr(), v7->named_modules()["model.102.rbr_dense.1"]);
      return;
    }
  }
  ADD_FAILURE() << "RepConv dense branch not enumerated";
}

}  // namespace
}  // namespace qyolo::nn
