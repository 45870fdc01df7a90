#include "qyolo/export/packed_export.h"

#include <gtest/gtest.h>

#include "qyolo/core/config.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/compression.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/lsq_quantizer.h"
#include "qyolo/quant/policy.h"
#include "support/test_support.h"

namespace qyolo::exporter {
namespace {

nn::Model quantized_yolov5n(const config::QuantConfig& q) {
  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs/models/yolov5n.yaml", 10);
  quant::apply(*model, quant::Policy(q));
  quant::calibrate_activations(*model, {torch::rand({2, 3, 64, 64})}, quant::ActInit::kMinMax);
  model->eval();
  return model;
}

config::QuantConfig w4a4() {
  config::QuantConfig q;
  q.enabled = true;
  return q;
}

TEST(PackedExport, RoundTripGivesTheSameOutputs) {
  auto model = quantized_yolov5n(w4a4());
  const auto x = torch::rand({1, 3, 64, 64});
  torch::NoGradGuard no_grad;
  const auto before = model->forward(x).decoded;
  const auto dir = test::temp_dir("packed");
  const auto summary = export_packed(*model, dir / "m.qint");
  EXPECT_EQ(summary.packed_tensors, static_cast<int64_t>(model->conv_sites().size()));

  auto fresh = quantized_yolov5n(w4a4());
  const auto report = fresh->load_weights(unpack_model(read_packed_model(dir / "m.qint")));
  EXPECT_TRUE(report.unexpected.empty() && report.mismatched.empty()) << report.to_string();
  for (const auto& name : report.missing) {
    EXPECT_TRUE(name.find(".oscillation.") != std::string::npos ||
                name.find("num_batches_tracked") != std::string::npos)
        << name;
  }
  fresh->eval();
  const auto after = fresh->forward(x).decoded;
  EXPECT_LE((after - before).abs().max().item<double>(), 1e-4 * before.abs().max().item<double>());
}

TEST(PackedExport, FrozenWeightsAreExportedAtTheirFrozenInteger) {
  // OscDamp freezing holds some weights on an integer the latent weight no longer rounds to;
  // the training forward uses the frozen integer, so the exported model must too.
  auto model = quantized_yolov5n(w4a4());
  const auto sites = model->conv_sites();
  auto hook = quant::conv_quantizer(sites.at(3));
  ASSERT_TRUE(hook && hook->tracker());
  {
    torch::NoGradGuard no_grad;
    const auto integers = hook->weight_integers(sites.at(3).conv->weight.detach());
    const auto& lsq = static_cast<const quant::LsqQuantizerImpl&>(*hook->weight_quantizer());
    hook->tracker()->frozen.fill_(true);
    hook->tracker()->frozen_integer.copy_(
        torch::where(integers < lsq.range().qmax, integers + 1, integers - 1));
  }
  const auto x = torch::rand({1, 3, 64, 64});
  torch::NoGradGuard no_grad;
  const auto before = model->forward(x).decoded;
  const auto dir = test::temp_dir("packed_frozen");
  export_packed(*model, dir / "m.qint");
  const auto packed = read_packed_model(dir / "m.qint");
  auto fresh = quantized_yolov5n(w4a4());
  fresh->load_weights(unpack_model(packed));
  fresh->eval();
  const auto after = fresh->forward(x).decoded;
  EXPECT_LE((after - before).abs().max().item<double>(), 1e-4 * before.abs().max().item<double>());
}

TEST(PackedExport, SizeMatchesTheCompressionReport) {
  auto model = quantized_yolov5n(w4a4());
  const auto report = quant::compression_report(*model, 64);
  const auto dir = test::temp_dir("packed");
  const auto summary = export_packed(*model, dir / "m.qint");
  // The report counts parameters; the file also holds BN running statistics, quantizer steps
  // and whole-byte padding per tensor.
  const double promised = report.size_bits / 8;
  int64_t bn_stats = 0;
  for (const auto& site : model->conv_sites()) {
    if (site.bn) bn_stats += 2 * site.bn->running_mean.numel() * 4;
  }
  EXPECT_GE(summary.payload_bytes, promised + bn_stats);
  EXPECT_LE(summary.payload_bytes, promised + bn_stats + 4096);
  EXPECT_NEAR(static_cast<double>(summary.fp32_bytes), report.fp32_size_bits / 8,
              report.fp32_size_bits / 8 * 0.02);
}

}  // namespace
}  // namespace qyolo::exporter
