#include "qyolo/export/onnx_export.h"

#include <gtest/gtest.h>

#include "ort_runner.h"
#include "qyolo/core/config.h"
#include "qyolo/core/error.h"
#include "qyolo/eval/nms.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/policy.h"

namespace qyolo::exporter {
namespace {

constexpr int64_t kImg = 128;

// A small model with non-trivial BN statistics, so BN folding is exercised.
nn::Model make_model(const std::string& yaml, int64_t nc = 10) {
  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs/models" / yaml, nc);
  torch::NoGradGuard no_grad;
  for (auto& m : model->modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
      bn->weight.uniform_(0.6, 1.4);
      bn->bias.uniform_(-0.2, 0.2);
      bn->running_mean.normal_(0, 0.1);
      bn->running_var.uniform_(0.5, 1.5);
    }
  }
  model->eval();
  return model;
}

void quantize(nn::Model& model, int bits, const std::string& mpq_stage_groups = "") {
  config::QuantConfig q;
  q.enabled = true;
  q.weight_bits = bits;
  q.act_bits = bits;
  quant::apply(*model, quant::Policy(q));
  std::vector<torch::Tensor> batches{torch::rand({2, 3, kImg, kImg}),
                                     torch::rand({2, 3, kImg, kImg})};
  quant::calibrate_activations(*model, batches, quant::ActInit::kMinMax);
  model->eval();
}

struct Compared {
  torch::Tensor ours;
  torch::Tensor theirs;
  double scale;
  double max_abs;
};

Compared run_both(nn::Model& model, const std::string& tag, OnnxExportOptions options = {}) {
  torch::manual_seed(5);
  const auto x = torch::rand({1, 3, kImg, kImg});
  torch::Tensor ours;
  {
    torch::NoGradGuard no_grad;
    ours = model->forward(x).decoded;
  }
  const auto dir = test::temp_dir("onnx_" + tag);
  const auto summary = export_onnx(*model, options.imgsz(kImg), dir / "model.onnx");
  EXPECT_GT(summary.nodes, 100);
  const auto outs = test::run_onnxruntime(dir / "model.onnx", x, dir);
  const auto theirs = outs.at(0);
  EXPECT_EQ(theirs.sizes(), ours.sizes());
  return {ours, theirs, ours.abs().max().item<double>(),
          (ours - theirs).abs().max().item<double>()};
}

TEST(OnnxExport, FloatYolov5nMatchesOnnxruntime) {
  ASSERT_TRUE(test::ort_available()) << "run scripts/setup.sh to install onnxruntime-node";
  auto model = make_model("yolov5n.yaml");
  const auto c = run_both(model, "fp");
  EXPECT_LE(c.max_abs, 1e-3 * c.scale) << "scale " << c.scale;
}

TEST(OnnxExport, FloatYolov7TinyMatchesOnnxruntime) {
  ASSERT_TRUE(test::ort_available());
  auto model = make_model("yolov7-tiny.yaml");
  const auto c = run_both(model, "v7tiny");
  EXPECT_LE(c.max_abs, 1e-3 * c.scale) << "scale " << c.scale;
}

TEST(OnnxExport, W8A8MatchesOnnxruntime) {
  ASSERT_TRUE(test::ort_available());
  auto model = make_model("yolov5n.yaml");
  quantize(model, 8);
  const auto c = run_both(model, "w8a8");
  EXPECT_LE(c.max_abs, 1e-3 * c.scale) << "scale " << c.scale;
}

TEST(OnnxExport, W4A4GivesTheSameDetectionsAfterNms) {
  ASSERT_TRUE(test::ort_available());
  auto model = make_model("yolov5n.yaml");
  quantize(model, 4);
  const auto c = run_both(model, "w4a4");
  // An untrained model's confidences are small (Detect's prior biases), hence the low threshold.
  const auto opts = eval::NmsOptions().conf_thres(0.001).iou_thres(0.45);
  const auto a = eval::non_max_suppression(c.ours, opts).at(0);
  const auto b = eval::non_max_suppression(c.theirs, opts).at(0);
  ASSERT_EQ(a.size(0), b.size(0));
  EXPECT_GT(a.size(0), 0);
  EXPECT_TRUE(torch::equal(a.select(1, 5), b.select(1, 5)));
  EXPECT_LE((a.narrow(1, 0, 4) - b.narrow(1, 0, 4)).abs().max().item<double>(), 0.5);
}

TEST(OnnxExport, FrozenWeightsAreExportedAsTheForwardUsesThem) {
  // OscDamp freezing: every weight of three convs held one integer away from where the latent
  // weight rounds, as the training forward sees them; onnxruntime must compute the same.
  ASSERT_TRUE(test::ort_available());
  auto model = make_model("yolov5n.yaml");
  quantize(model, 8);
  const auto sites = model->conv_sites();
  for (const size_t i : {size_t{1}, size_t{5}, size_t{9}}) {
    auto hook = quant::conv_quantizer(sites.at(i));
    ASSERT_TRUE(hook && hook->tracker());
    torch::NoGradGuard no_grad;
    const auto integers = hook->weight_integers(sites.at(i).conv->weight.detach());
    hook->tracker()->frozen.fill_(true);
    hook->tracker()->frozen_integer.copy_(torch::where(integers < 0, integers + 1, integers - 1));
  }
  const auto c = run_both(model, "w8a8_frozen");
  EXPECT_LE(c.max_abs, 1e-3 * c.scale) << "scale " << c.scale;
}

TEST(OnnxExport, QuantizedGraphHasQdqNodesWithBitWidths) {
  auto model = make_model("yolov5n.yaml");
  quantize(model, 4);
  const auto dir = test::temp_dir("onnx_qdq");
  const auto summary = export_onnx(*model, OnnxExportOptions().imgsz(kImg), dir / "m.onnx");
  EXPECT_EQ(summary.fp_convs, 0);
  EXPECT_EQ(summary.quantized_convs, static_cast<int64_t>(model->conv_sites().size()));
  std::ifstream f(dir / "m.onnx", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("QuantizeLinear"), std::string::npos);
  EXPECT_NE(bytes.find("qyolo: bits=4 kind=lsq"), std::string::npos);
  EXPECT_NE(bytes.find("qyolo: bits=8"), std::string::npos);  // first conv and Detect outputs
}

TEST(OnnxExport, IncludedNmsRunsInOnnxruntime) {
  ASSERT_TRUE(test::ort_available());
  auto model = make_model("yolov5n.yaml");
  torch::manual_seed(5);
  const auto x = torch::rand({1, 3, kImg, kImg});
  const auto dir = test::temp_dir("onnx_nms");
  export_onnx(*model, OnnxExportOptions().imgsz(kImg).include_nms(true).conf_thres(0.001),
              dir / "m.onnx");
  const auto outs = test::run_onnxruntime(dir / "m.onnx", x, dir);
  ASSERT_EQ(outs.size(), 2u);
  const auto det = outs[1];
  ASSERT_EQ(det.dim(), 2);
  EXPECT_EQ(det.size(1), 7);
  EXPECT_GT(det.size(0), 0);
  EXPECT_TRUE((det.select(1, 5) >= 0.001).all().item<bool>());
  EXPECT_TRUE((det.select(1, 3) >= det.select(1, 1)).all().item<bool>());  // x2 >= x1
}

TEST(OnnxExport, RejectsBadOptions) {
  auto model = make_model("yolov5n.yaml");
  const auto dir = test::temp_dir("onnx_bad");
  EXPECT_THROW(export_onnx(*model, OnnxExportOptions().imgsz(100), dir / "m.onnx"),
               qyolo::UsageError);
  EXPECT_THROW(export_onnx(*model, OnnxExportOptions().opset(11), dir / "m.onnx"),
               qyolo::UsageError);
}

}  // namespace
}  // namespace qyolo::exporter
