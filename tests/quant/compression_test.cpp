#include "qyolo/quant/compression.h"

#include <gtest/gtest.h>

#include <fstream>

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
  EXPECT_DOUBLE_EQ(report.ops, 1000 * 64 / 64.0 + 4000 / 64.0 + 500);
  EXPECT_DOUBLE_EQ(report.fp32_ops, 5500);
  EXPECT_DOUBLE_EQ(report.ops_ratio(), 5500 / 1562.5);
  EXPECT_DOUBLE_EQ(report.average_weight_bits, (800.0 + 200 + 1600) / 350);
  const auto json = report.to_json();
  EXPECT_EQ(json["convs"].size(), 3u);
  EXPECT_DOUBLE_EQ(json["ops_ratio"].get<double>(), 5500 / 1562.5);
  EXPECT_NE(report.to_string().find("3.416x smaller"), std::string::npos) << report.to_string();
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

}  // namespace
}  // namespace qyolo::quant
