#include "qyolo/export/onnx_graph.h"

#include <gtest/gtest.h>

#include "ort_runner.h"
#include "qyolo/core/error.h"

namespace qyolo::exporter {
namespace {

TEST(OnnxGraph, ConvGraphRunsInOnnxruntimeLikeTorch) {
  ASSERT_TRUE(test::ort_available()) << "run scripts/setup.sh to install onnxruntime-node";
  torch::manual_seed(0);
  const auto w = torch::randn({4, 3, 3, 3});
  const auto b = torch::randn({4});
  const auto x = torch::randn({1, 3, 8, 8});
  OnnxGraph g("conv", 13);
  g.add_input("images", {1, 3, 8, 8});
  const auto y = g.add(
      "Conv", "conv0", {"images", g.add_initializer("w", w), g.add_initializer("b", b)},
      {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"kernel_shape", std::vector<int64_t>{3, 3}}});
  g.add_node("Sigmoid", "sig", {y}, 1, {}, {"output"});
  g.add_output("output", {1, 4, 8, 8});
  const auto dir = test::temp_dir("onnx");
  g.save(dir / "conv.onnx");
  const auto outs = test::run_onnxruntime(dir / "conv.onnx", x, dir);
  ASSERT_EQ(outs.size(), 1u);
  const auto expected = torch::sigmoid(torch::conv2d(x, w, b, 1, 1));
  EXPECT_LT((outs[0] - expected).abs().max().item<float>(), 1e-5);
}

TEST(OnnxGraph, QuantizeDequantizeRoundsHalfToEvenAndSaturates) {
  ASSERT_TRUE(test::ort_available());
  OnnxGraph g("qdq", 13);
  g.add_input("x", {1, 1, 1, 6});
  const auto scale = g.add_initializer("s", torch::tensor(0.5f));
  const auto zp = g.add_initializer("zp", torch::tensor(std::vector<int8_t>{0}).reshape({}));
  const auto q = g.add("QuantizeLinear", "q", {"x", scale, zp});
  g.add_node("DequantizeLinear", "dq", {q, scale, zp}, 1, {}, {"y"});
  g.add_output("y", {1, 1, 1, 6});
  const auto dir = test::temp_dir("onnx");
  g.save(dir / "qdq.onnx");
  const auto x = torch::tensor({0.25f, 0.75f, -0.25f, 1.25f, 100.f, -100.f}).reshape({1, 1, 1, 6});
  const auto outs = test::run_onnxruntime(dir / "qdq.onnx", x, dir);
  const auto expected = torch::tensor({0.f, 1.f, 0.f, 1.f, 63.5f, -64.f}).reshape({1, 1, 1, 6});
  EXPECT_TRUE(torch::equal(outs[0], expected)) << outs[0];
}

TEST(OnnxGraph, CheckerRejectsBrokenGraphs) {
  OnnxGraph g("broken", 13);
  g.add_input("x", {1});
  g.add_node("Relu", "r", {"does_not_exist"}, 1, {}, {"y"});
  g.add_output("y", {1});
  EXPECT_THROW(g.serialize(), Error);
}

}  // namespace
}  // namespace qyolo::exporter
