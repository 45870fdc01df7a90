#include "qyolo/quant/compression.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qyolo/core/config.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/quant/policy.h"
#include "support/test_support.h"

namespace qyolo::quant {
namespace {

TEST(Compression, HandComputedModel) {
  // conv a: 100 weights, 1000 MACs, W8A8; conv b: 200 weights, 4000 MACs, W1A1;
  // conv c: 50 weights, 500 MACs, fp; 30 other parameters.
  const auto report = compression_report(
      {{"a", 0, 100, 1000, 8, 8}, {"b", 1, 200, 4000, 1, 1}, {"c", 2, 50, 500, 32, 32}}, 30, 64);
  EXPECT_DOUBLE_EQ(report.size_bits, 100 * 8 + 200 * 1 + 50 * 32 + 30 * 32);
  EXPECT_DOUBLE_EQ(report.fp32_size_bits, (100 + 200 + 50 + 30) * 32);
  EXPECT_DOUBLE_EQ(report.size_ratio(), 12160.0 / 3560.0);
  // Conv weights only: 800 + 200 + 1600 bits against 350 · 32.
  EXPECT_DOUBLE_EQ(report.conv_weight_bits, 2600);
  EXPECT_DOUBLE_EQ(report.fp32_conv_weight_bits, 11200);
  EXPECT_DOUBLE_EQ(report.conv_weight_size_ratio(), 11200.0 / 2600.0);
  EXPECT_DOUBLE_EQ(report.ops, 1000 * 64 / 64.0 + 4000 / 64.0 + 500);
  EXPECT_DOUBLE_EQ(report.fp32_ops, 5500);
  EXPECT_DOUBLE_EQ(report.ops_ratio(), 5500 / 1562.5);
  EXPECT_DOUBLE_EQ(report.average_weight_bits, (800.0 + 200 + 1600) / 350);
  const auto json = report.to_json();
  EXPECT_EQ(json["convs"].size(), 3u);
  EXPECT_DOUBLE_EQ(json["ops_ratio"].get<double>(), 5500 / 1562.5);
  EXPECT_DOUBLE_EQ(json["conv_weight_size_ratio"].get<double>(), 11200.0 / 2600.0);
  const auto text = report.to_string();
  EXPECT_NE(text.find("3.416x smaller"), std::string::npos) << text;
  EXPECT_NE(text.find("conv weights only:"), std::string::npos) << text;
  EXPECT_NE(text.find("(4.308x smaller)"), std::string::npos) << text;
}

TEST(Compression, Yolov5sMixedPrecisionExample) {
  std::ifstream file(qyolo::test::fixtures_dir() / "params.json");
  ASSERT_TRUE(file) << "params.json fixture missing";
  const auto params = nlohmann::json::parse(file);
  const auto& example = params["yolov5s_mixed_precision_example"];
  // Our own rule: model.0.conv and the Detect convs at 8 bits, other layers 0-9 at 1 bit,
  // layers 10-23 at 4 bits; only conv weights counted.
  std::vector<ConvCost> convs;
  for (const auto& row : params["yolov5s_per_conv_640"]) {
    ConvCost cost;
    cost.path = row["name"].get<std::string>();
    cost.layer = row["layer"].get<int>();
    cost.weight_params = row["weight_numel"].get<int64_t>();
    cost.macs = row["macs"].get<int64_t>();
    const bool pinned = cost.path == "model.0.conv" || cost.layer == 24;
    cost.weight_bits = pinned ? 8 : (cost.layer <= 9 ? 1 : 4);
    cost.act_bits = cost.weight_bits;
    convs.push_back(cost);
  }
  ASSERT_EQ(convs.size(), 60u);
  const auto report = compression_report(convs, 0, 640);
  EXPECT_EQ(static_cast<int64_t>(report.size_bits),
            example["conv_weight_bits_total"].get<int64_t>());
  EXPECT_DOUBLE_EQ(report.fp32_size_bits / 8, example["fp32_conv_weight_bytes"].get<double>());
  EXPECT_NEAR(report.size_ratio(), example["compression_ratio_vs_fp32"].get<double>(), 1e-12);
  EXPECT_NEAR(report.conv_weight_size_ratio(), example["compression_ratio_vs_fp32"].get<double>(),
              1e-12);
  EXPECT_NEAR(report.average_weight_bits, example["avg_bits_per_weight"].get<double>(), 1e-12);
  EXPECT_NEAR(report.mac_weighted_weight_bits, example["mac_weighted_avg_bits"].get<double>(),
              1e-12);
}

TEST(Compression, QuantizedYolov5sMatchesTheMixedPrecisionExample) {
  // The example's precision as a policy: binary backbone, 4-bit head, 8-bit first/Detect convs.
  config::QuantConfig c;
  c.enabled = true;
  c.groups.push_back({"backbone", "0-9", 1, 1, "binary", "binary"});
  c.groups.push_back({"head", "10-23", 4, 4, "lsq", "lsq"});
  nn::Model model(qyolo::test::source_dir() / "configs" / "models" / "yolov5s.yaml");
  quant::apply(*model, Policy(c));
  // 320 px keeps the test fast; every conv's MACs are exactly a quarter of those at 640.
  const auto report = compression_report(*model, 320);

  std::ifstream file(qyolo::test::fixtures_dir() / "params.json");
  const auto params = nlohmann::json::parse(file);
  const auto& rows = params["yolov5s_mixed_precision_example"]["per_conv"];
  ASSERT_EQ(report.convs.size(), rows.size());
  double weight_bits = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& conv = report.convs[i];
    EXPECT_EQ(conv.path, rows[i]["name"].get<std::string>());
    EXPECT_EQ(conv.weight_bits, rows[i]["bits"].get<int>()) << conv.path;
    EXPECT_EQ(conv.act_bits, rows[i]["bits"].get<int>()) << conv.path;
    EXPECT_EQ(conv.weight_params, rows[i]["weight_numel"].get<int64_t>()) << conv.path;
    EXPECT_EQ(4 * conv.macs, rows[i]["macs"].get<int64_t>()) << conv.path;
    weight_bits += static_cast<double>(conv.weight_params) * conv.weight_bits;
  }
  EXPECT_EQ(static_cast<int64_t>(weight_bits),
            params["yolov5s_mixed_precision_example"]["conv_weight_bits_total"].get<int64_t>());
  // Everything else (conv biases, BN) at 32 bits: 7,235,389 params minus the conv weights.
  EXPECT_EQ(report.other_params, 7235389 - 7215616);
}

// The shipped MPQ configs at their final stage. Hand-computed from params.json's yolov5s per-conv
// rows: conv weights 3,456 (model.0.conv) + 4,157,440 (rest of layers 0-9) + 2,826,240 (layers
// 10-23) + 228,480 (Detect) = 7,215,616, i.e. 230,899,712 bits at fp32; MACs at 640 px
// 353,894,400 + 4,823,449,600 + 2,673,868,800 + 365,568,000 = 8,216,780,800; 19,773 other
// parameters. MACs scale by exactly 1/4 at 320 px, so the ratios are those at 640.
struct MpqCase {
  const char* config;
  std::vector<std::string> overrides;
  double conv_weight_bits;  // first·b + 4,157,440·1 + 2,826,240·4 + 228,480·b
  double ops_640;           // Σ MACs·bw·ba/64
};

TEST(Compression, ShippedMpqConfigsMatchTheHandCount) {
  const std::vector<MpqCase> cases{
      // First conv and Detect W8A8: 8·3,456 + 4,157,440 + 4·2,826,240 + 8·228,480 bits;
      // OPs 353,894,400 + 4,823,449,600/64 + 2,673,868,800/4 + 365,568,000.
      {"yolov5s_mpq.yaml", {}, 17317888, 1463296000},
      // First conv and Detect W4A4: 4·3,456 + 4,157,440 + 4·2,826,240 + 4·228,480 bits;
      // OPs (353,894,400 + 2,673,868,800 + 365,568,000)/4 + 4,823,449,600/64.
      {"yolov5s_mpq.yaml", {"quant.first_bits=4", "quant.last_bits=4"}, 16390144, 923699200},
      {"yolov5s_mpq_dual.yaml", {}, 16390144, 923699200},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.config) + (c.overrides.empty() ? "" : " (4-bit first/last)"));
    const auto cfg = config::load_experiment(
        qyolo::test::source_dir() / "configs" / "mpq" / c.config, c.overrides);
    auto model = build_model(cfg, 80, final_stage(cfg.quant));
    const auto report = compression_report(*model, 320);
    EXPECT_EQ(report.other_params, 19773);
    EXPECT_DOUBLE_EQ(report.fp32_conv_weight_bits, 230899712);
    EXPECT_DOUBLE_EQ(report.conv_weight_bits, c.conv_weight_bits);
    EXPECT_DOUBLE_EQ(report.size_bits, c.conv_weight_bits + 32 * 19773);
    EXPECT_DOUBLE_EQ(4 * report.fp32_ops, 8216780800);
    EXPECT_DOUBLE_EQ(4 * report.ops, c.ops_640);
  }
}

TEST(Compression, W4A4HeadBoundsTheYolov5sOpsRatio) {
  // Layers 10-23 at W4A4 cost 2,673,868,800·16/64 = 668,467,200 OPs at 640 px whatever the
  // other convs cost, so no yolov5s with that head reaches more than 8,216,780,800 / 668,467,200
  // = 12.29x fewer OPs in this convention (MPQ-YOLO reports up to 16.3x).
  std::ifstream file(qyolo::test::fixtures_dir() / "params.json");
  const auto params = nlohmann::json::parse(file);
  std::vector<ConvCost> convs;
  for (const auto& row : params["yolov5s_per_conv_640"]) {
    ConvCost cost{row["name"].get<std::string>(), row["layer"].get<int>(),
                  row["weight_numel"].get<int64_t>(), row["macs"].get<int64_t>()};
    const bool head = cost.layer >= 10 && cost.layer <= 23;
    // Everything outside the head at 1 bit, the cheapest this count allows.
    cost.weight_bits = cost.act_bits = head ? 4 : 1;
    convs.push_back(cost);
  }
  const auto report = compression_report(convs, 0, 640);
  EXPECT_DOUBLE_EQ(report.fp32_ops, 8216780800);
  EXPECT_LT(report.ops_ratio(), 8216780800.0 / 668467200);
  EXPECT_NEAR(8216780800.0 / 668467200, 12.292, 5e-4);
}

}  // namespace
}  // namespace qyolo::quant
