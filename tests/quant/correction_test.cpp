#include "qyolo/quant/correction.h"

#include <gtest/gtest.h>

#include "qyolo/quant/lsq_quantizer.h"
#include "qyolo/quant/policy.h"
#include "tiny_detector.h"

namespace qyolo::quant {
namespace {

using testing::TinyDetector;

config::QuantConfig config_with(const std::string& weight_kind, bool per_channel) {
  config::QuantConfig c;
  c.weight_kind = weight_kind;
  c.act_kind = "lsq_plus";
  c.per_channel = per_channel;
  return c;
}

void randomise_correction(const std::vector<nn::ConvSite>& sites) {
  torch::NoGradGuard no_grad;
  for (const auto& quantizer : conv_quantizers(sites)) {
    quantizer->gamma.uniform_(0.7, 1.3);
    quantizer->beta.uniform_(-0.2, 0.2);
  }
  // One negative γ on the Detect conv exercises the sign handling of the folded steps.
  conv_quantizers(sites).back()->gamma[0] = -0.8;
}

TEST(Correction, FoldedModelEqualsModelWithAffines) {
  for (const bool per_channel : {false, true}) {
    torch::manual_seed(0);
    TinyDetector model;
    quant::apply(model->sites(), Policy(config_with("lsq", per_channel)));
    const auto x = torch::rand({2, 3, 16, 16});
    model->eval();
    torch::NoGradGuard no_grad;
    model->forward(x);  // initialises every quantizer from this batch
    enable_correction(model->sites());
    EXPECT_EQ(correction_parameters(model->sites()).size(), 8u);
    randomise_correction(model->sites());
    const auto with_affines = model->forward(x);
    const auto before_params = model->named_parameters().size();

    fold_correction(model->sites());
    EXPECT_TRUE(correction_parameters(model->sites()).empty());
    EXPECT_EQ(model->named_parameters().size(), before_params - 8);
    for (const auto& quantizer : conv_quantizers(model->sites())) {
      EXPECT_FALSE(quantizer->has_correction());
    }
    const auto folded = model->forward(x);
    EXPECT_TRUE(torch::allclose(folded, with_affines, 1e-4, 1e-4))
        << (folded - with_affines).abs().max().item<double>();
    // The output conv's LSQ weights became per-channel steps.
    EXPECT_EQ(conv_quantizers(model->sites()).back()->weight_spec().granularity,
              Granularity::kPerChannel);
  }
}

TEST(Correction, FoldsIntoBinaryScales) {
  torch::manual_seed(1);
  TinyDetector model;
  auto c = config_with("binary", false);
  c.first_bits = 0;
  c.last_bits = 0;
  quant::apply(model->sites(), Policy(c));
  const auto x = torch::rand({2, 3, 16, 16});
  model->eval();
  torch::NoGradGuard no_grad;
  model->forward(x);
  enable_correction(model->sites());
  randomise_correction(model->sites());
  const auto with_affines = model->forward(x);
  fold_correction(model->sites());
  EXPECT_TRUE(torch::allclose(model->forward(x), with_affines, 1e-4, 1e-4));
}

}  // namespace
}  // namespace qyolo::quant
