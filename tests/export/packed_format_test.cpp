#include "qyolo/export/packed_format.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::exporter {
namespace {

TEST(PackedFormat, PacksEveryBitWidthLosslessly) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (bool is_signed : {true, false}) {
      SCOPED_TRACE(std::to_string(bits) + (is_signed ? " signed" : " unsigned"));
      torch::Tensor v;
      if (bits == 1) {
        v = torch::randint(0, 2, {1001}, torch::kLong) * 2 - 1;
        if (!is_signed) v = (v > 0).to(torch::kLong);
      } else {
        const int64_t lo = is_signed ? -(1LL << (bits - 1)) : 0;
        const int64_t hi = is_signed ? (1LL << (bits - 1)) - 1 : (1LL << bits) - 1;
        v = torch::randint(lo, hi + 1, {1001}, torch::kLong);
      }
      const std::string bytes = pack_bits(v, bits, is_signed);
      EXPECT_EQ(static_cast<int64_t>(bytes.size()), (1001 * bits + 7) / 8);
      EXPECT_TRUE(torch::equal(unpack_bits(bytes, 1001, bits, is_signed), v));
    }
  }
}

TEST(PackedFormat, FourBitValuesTakeHalfAByte) {
  const auto v = torch::tensor({-8, 7, 0, -1}, torch::kLong);
  const std::string bytes = pack_bits(v, 4, true);
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x78);  // -8 = 0b1000 low nibble, 7 high nibble
  EXPECT_EQ(static_cast<uint8_t>(bytes[1]), 0xF0);
  EXPECT_THROW(pack_bits(torch::tensor({8}, torch::kLong), 4, true), c10::Error);
}

TEST(PackedFormat, ModelFileRoundTrips) {
  PackedModel m;
  m.model_yaml = "nc: 10\n";
  m.metadata["imgsz"] = "320";
  m.tensors.push_back({"model.1.conv.weight", torch::randint(-8, 8, {4, 2, 3, 3}, torch::kLong), 4,
                       true, "model.1.conv.weight_scale"});
  m.tensors.push_back({"model.1.conv.weight_scale", torch::rand({4}), 32, true, ""});
  m.tensors.push_back({"model.2.conv.weight",
                       torch::randint(0, 2, {8, 4, 1, 1}, torch::kLong) * 2 - 1, 1, true,
                       "model.2.conv.weight_scale"});
  const auto dir = test::temp_dir("packed");
  write_packed_model(m, dir / "m.qint");
  const PackedModel r = read_packed_model(dir / "m.qint");
  ASSERT_EQ(r.tensors.size(), 3u);
  EXPECT_EQ(r.model_yaml, m.model_yaml);
  EXPECT_EQ(r.metadata.at("imgsz"), "320");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.tensors[i].name, m.tensors[i].name);
    EXPECT_EQ(r.tensors[i].bits, m.tensors[i].bits);
    EXPECT_TRUE(
        torch::equal(r.tensors[i].values, m.tensors[i].values.to(r.tensors[i].values.dtype())));
  }
  EXPECT_EQ(m.payload_bytes(), 36 + 16 + 4);
}

}  // namespace
}  // namespace qyolo::exporter
