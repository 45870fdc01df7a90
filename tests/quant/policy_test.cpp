#include "qyolo/quant/policy.h"

#include <gtest/gtest.h>

#include "qyolo/core/error.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/lsq_quantizer.h"
#include "tiny_detector.h"

namespace qyolo::quant {
namespace {

using testing::TinyDetector;

using testing::w4a4;

TEST(Policy, FirstAndOutputConvsAreEightBitByDefault) {
  TinyDetector model;
  const auto plans = Policy(w4a4()).plan(model->sites());
  ASSERT_EQ(plans.size(), 4u);
  EXPECT_TRUE(plans[0].first);
  EXPECT_EQ(plans[0].weight.bits, 8);
  EXPECT_EQ(plans[0].input.bits, 8);
  EXPECT_FALSE(plans[0].input.is_signed);  // the image is non-negative
  EXPECT_EQ(plans[1].weight.bits, 4);
  EXPECT_EQ(plans[1].input.bits, 4);
  EXPECT_EQ(plans[1].input.kind, QuantKind::kLsqPlus);
  EXPECT_TRUE(plans[3].output);
  EXPECT_EQ(plans[3].weight.bits, 8);
  EXPECT_EQ(plans[3].input.bits, 8);
}

TEST(Policy, EightBitImageInputSitsOnTheFixedImageGrid) {
  torch::manual_seed(0);
  TinyDetector model;
  quant::apply(model->sites(), Policy(w4a4()));
  const auto first = std::static_pointer_cast<LsqQuantizerImpl>(
      conv_quantizer(model->sites()[0])->input_quantizer());
  EXPECT_FALSE(first->spec().learned);
  EXPECT_TRUE(first->initialized());  // calibration leaves it alone
  EXPECT_FLOAT_EQ(first->step.item<float>(), 1.0f / 255.0f);
  EXPECT_FALSE(first->step.requires_grad());
  // An 8-bit image passes unchanged (to float rounding), and nothing asks for its gradient.
  const auto image = torch::randint(0, 256, {2, 3, 16, 16}).to(torch::kFloat) / 255.0;
  const auto quantized = first->forward(image);
  EXPECT_TRUE(torch::allclose(quantized, image, 0.0, 1e-6));
  EXPECT_FALSE(quantized.requires_grad());
  // Other inputs stay learned, and the option brings the learned image step back.
  const auto second = conv_quantizer(model->sites()[1])->input_quantizer();
  EXPECT_TRUE(second->spec().learned);
  auto learned = w4a4();
  learned.learn_image_step = true;
  EXPECT_TRUE(Policy(learned).plan(model->sites())[0].input.learned);
  // Below 8 bits the image no longer fits a fixed grid; the step is learned.
  auto four_bit_image = w4a4();
  four_bit_image.first_bits = 4;
  EXPECT_TRUE(Policy(four_bit_image).plan(model->sites())[0].input.learned);
}

TEST(Policy, OverridesByIndexRangeAndGlob) {
  auto c = w4a4();
  c.overrides.push_back({"1-2", 3, 3, "lsq", "lsq"});
  c.overrides.push_back({"model.3.*", 6, 6, "lsq", "lsq"});
  c.overrides.push_back({"2", 2, 5, "lsq", "fp"});
  const auto plans = Policy(c).plan(TinyDetector()->sites());
  EXPECT_EQ(plans[1].weight.bits, 3);
  EXPECT_EQ(plans[1].input.kind, QuantKind::kLsq);
  EXPECT_EQ(plans[2].weight.bits, 2);
  EXPECT_FALSE(plans[2].input.quantized());
  EXPECT_EQ(plans[3].weight.bits, 6);
}

TEST(Policy, OverrideMatchingNoConvNamesThePatternAndTheConvs) {
  for (const char* pattern : {"model.9.*", "7", "5-8"}) {
    auto c = w4a4();
    c.overrides.push_back({"1", 3, 3, "lsq", "lsq"});
    c.overrides.push_back({pattern, 3, 3, "lsq", "lsq"});
    try {
      Policy(c).plan(TinyDetector()->sites());
      FAIL() << pattern << " was accepted";
    } catch (const UsageError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("quant.overrides[1].pattern: '" + std::string(pattern) +
                             "' matches no conv"),
                std::string::npos)
          << message;
      EXPECT_NE(message.find("model.0.conv"), std::string::npos) << message;
      EXPECT_NE(message.find("layers 0-3"), std::string::npos) << message;
    }
  }
}

TEST(Policy, RejectsBadConfigsNamingTheKey) {
  auto bits = w4a4();
  bits.weight_bits = 9;
  try {
    Policy{bits};
    FAIL() << "9-bit weights were accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("quant.weight_bits: 9"), std::string::npos) << e.what();
  }
  auto kind = w4a4();
  kind.act_kind = "pact";
  EXPECT_THROW(Policy{kind}, UsageError);
  auto stage = w4a4();
  stage.groups.push_back({"head", "2-3", 4, 4, "lsq", "lsq"});
  stage.stages.push_back({"s1", {"neck"}, 1});
  EXPECT_THROW(Policy{stage}, UsageError);
  auto layers = w4a4();
  layers.groups.push_back({"head", "3-1", 4, 4, "lsq", "lsq"});
  EXPECT_THROW(Policy{layers}, UsageError);
}

TEST(Policy, ApplyKeepsParameterNamesAndLoadsFpWeights) {
  TinyDetector fp;
  TinyDetector quantized;
  quant::apply(quantized->sites(), Policy(w4a4()));
  // Every FP parameter and buffer is still there under its name; quantizer state is added below
  // "<conv>.quant.".
  const auto fp_params = fp->named_parameters();
  const auto q_params = quantized->named_parameters();
  for (const auto& item : fp_params) {
    ASSERT_NE(q_params.find(item.key()), nullptr) << item.key();
    torch::NoGradGuard no_grad;
    q_params[item.key()].copy_(item.value());
  }
  for (const auto& item : fp->named_buffers()) {
    torch::NoGradGuard no_grad;
    quantized->named_buffers()[item.key()].copy_(item.value());
  }
  EXPECT_NE(q_params.find("model_1_conv.quant.weight_quantizer.step"), nullptr);
  EXPECT_NE(q_params.find("model_1_conv.quant.input_quantizer.offset"), nullptr);
  EXPECT_NE(quantized->named_buffers().find("model_1_conv.quant.weight_quantizer.initialized"),
            nullptr);
  // Removing the hooks gives back the FP model exactly.
  config::QuantConfig off;
  off.weight_kind = "fp";
  off.act_kind = "fp";
  off.first_bits = 0;
  off.last_bits = 0;
  quant::apply(quantized->sites(), Policy(off));
  for (const auto& site : quantized->sites()) EXPECT_EQ(site.conv->hook(), nullptr);
  fp->eval();
  quantized->eval();
  const auto x = torch::rand({1, 3, 16, 16});
  EXPECT_TRUE(torch::equal(fp->forward(x), quantized->forward(x)));
}

TEST(Policy, CalibrationInitialisesActivationStepsOnce) {
  torch::manual_seed(0);
  TinyDetector model;
  auto config = w4a4();
  config.learn_image_step = true;  // the first conv's input is the one whose range is known
  quant::apply(model->sites(), Policy(config));
  std::vector<torch::Tensor> batches = {torch::rand({2, 3, 16, 16}), torch::rand({2, 3, 16, 16})};
  size_t next = 0;
  const auto run = [&] {
    if (next >= batches.size()) return false;
    torch::NoGradGuard no_grad;
    model->forward(batches[next++]);
    return true;
  };
  EXPECT_EQ(calibrate_activations(model->sites(), 4, ActInit::kMinMax, run), 4);
  EXPECT_EQ(next, 2u);
  const auto first = std::static_pointer_cast<LsqQuantizerImpl>(
      conv_quantizer(model->sites()[0])->input_quantizer());
  const double lo = std::min(batches[0].min().item<double>(), batches[1].min().item<double>());
  const double hi = std::max(batches[0].max().item<double>(), batches[1].max().item<double>());
  EXPECT_NEAR(first->step.item<double>(), (hi - lo) / 255, 1e-7);
  EXPECT_NEAR(first->offset.item<double>(), lo, 1e-7);
  // A second calibration leaves initialised quantizers alone.
  next = 0;
  EXPECT_EQ(calibrate_activations(model->sites(), 4, ActInit::kMinMax, run), 0);
}

TEST(Policy, ProgressiveStagesKeepLearnedStateAndAddQuantizers) {
  auto c = w4a4();
  c.groups.push_back({"head", "2-3", 4, 4, "lsq", "lsq_plus"});
  c.groups.push_back({"backbone_weights", "0-1", 1, 32, "binary", "fp"});
  c.groups.push_back({"backbone", "0-1", 1, 1, "binary", "binary"});
  c.stages.push_back({"head", {"head"}, 1});
  c.stages.push_back({"weights", {"head", "backbone_weights"}, 1});
  c.stages.push_back({"all", {"head", "backbone"}, 1});
  const Policy policy(c);
  TinyDetector model;
  const auto weights_before = model->sites()[1].conv->weight.clone();

  quant::apply(model->sites(), policy, 0);
  auto plans = describe(model->sites());
  EXPECT_FALSE(plans[0].weight.quantized());
  EXPECT_FALSE(plans[1].weight.quantized());
  EXPECT_EQ(plans[2].weight.bits, 4);
  EXPECT_EQ(plans[3].weight.bits, 8);  // output conv pinned to last_bits
  model->forward(torch::rand({1, 3, 16, 16}));
  const auto head = conv_quantizer(model->sites()[2]);
  {
    torch::NoGradGuard no_grad;
    std::static_pointer_cast<LsqQuantizerImpl>(head->weight_quantizer())->step.fill_(0.0421);
  }

  quant::apply(model->sites(), policy, 1);
  plans = describe(model->sites());
  EXPECT_EQ(plans[0].weight.bits, 8);  // first conv pinned to first_bits once its group is on
  EXPECT_EQ(plans[1].weight.kind, QuantKind::kBinary);
  EXPECT_FALSE(plans[1].input.quantized());
  EXPECT_EQ(conv_quantizer(model->sites()[2]), head);
  EXPECT_FLOAT_EQ(
      std::static_pointer_cast<LsqQuantizerImpl>(head->weight_quantizer())->step.item<float>(),
      0.0421f);
  model->forward(torch::rand({1, 3, 16, 16}));
  const auto binary_weights = conv_quantizer(model->sites()[1])->weight_quantizer();

  quant::apply(model->sites(), policy, 2);
  plans = describe(model->sites());
  EXPECT_EQ(plans[1].input.kind, QuantKind::kBinary);
  EXPECT_EQ(conv_quantizer(model->sites()[1])->weight_quantizer(), binary_weights);
  EXPECT_TRUE(binary_weights->initialized());
  EXPECT_FALSE(conv_quantizer(model->sites()[1])->input_quantizer()->initialized());
  EXPECT_TRUE(torch::equal(model->sites()[1].conv->weight, weights_before));
  EXPECT_NE(to_string(plans).find("model.1.conv"), std::string::npos);
}

}  // namespace
}  // namespace qyolo::quant
