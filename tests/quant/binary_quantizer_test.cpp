#include "qyolo/quant/binary_quantizer.h"

#include <gtest/gtest.h>

#include "qyolo/nn/conv2d.h"
#include "qyolo/quant/conv_quantizer.h"

namespace qyolo::quant {
namespace {

TEST(BinaryQuantizer, SignOfZeroIsPlusOne) {
  EXPECT_TRUE(torch::equal(binary_sign(torch::tensor({-2.f, -0.f, 0.f, 3.f})),
                           torch::tensor({-1.f, 1.f, 1.f, 1.f})));
}

TEST(BinaryQuantizer, ConvEffectiveWeightsArePlusMinusAlphaPerChannel) {
  torch::manual_seed(0);
  nn::Conv2d conv(nn::Conv2dOptions(4, 6, 3).padding(1));
  auto hook = std::make_shared<ConvQuantizerImpl>(
      ConvQuantizerOptions(conv->weight.sizes(), 4)
          .weight({1, true, Granularity::kPerChannel, QuantKind::kBinary}));
  conv->set_hook(hook);
  const auto effective = hook->weight(conv->weight);
  const auto& alpha =
      std::static_pointer_cast<BinaryWeightQuantizerImpl>(hook->weight_quantizer())->scale;
  EXPECT_TRUE(torch::allclose(alpha, conv->weight.abs().flatten(1).mean(1)));
  for (int64_t c = 0; c < 6; ++c) {
    const auto levels = std::get<0>(torch::_unique(effective[c].abs()));
    ASSERT_EQ(levels.numel(), 1);
    EXPECT_FLOAT_EQ(levels.item<float>(), alpha[c].item<float>());
    EXPECT_TRUE(torch::equal(torch::sign(effective[c]), binary_sign(conv->weight[c])));
  }
  // The conv runs with those weights.
  const auto x = torch::randn({1, 4, 5, 5});
  EXPECT_TRUE(torch::allclose(conv->forward(x), conv->convolve(x, effective.detach())));
}

TEST(BinaryQuantizer, WeightGradientsStraightThroughInsideTheScale) {
  BinaryWeightQuantizer q(2);
  const auto w = torch::tensor({0.5f, -2.0f, 1.0f, 0.1f}).reshape({2, 2}).requires_grad_();
  q->forward(w);  // α = (1.25, 0.55)
  const auto grad = torch::tensor({1.f, 2.f, 3.f, 4.f}).reshape({2, 2});
  q->forward(w).backward(grad);
  EXPECT_TRUE(torch::equal(w.grad(), torch::tensor({1.f, 0.f, 0.f, 4.f}).reshape({2, 2})));
  // dα_c = Σ g·sign(w)
  EXPECT_TRUE(torch::allclose(q->scale.grad(), torch::tensor({1.f - 2.f, 3.f + 4.f})));
}

// In the MPQ backbone every binary conv feeds a BatchNorm. In training mode BN divides each
// channel by its batch standard deviation, which cancels the channel's α (all but BN's eps), so
// α gets almost no gradient there and stays near its initial mean|w|: README says so instead of
// calling these scales trainable. Measured against the same conv without BN after it.
TEST(BinaryQuantizer, BatchNormAfterTheConvCancelsTheWeightScaleGradient) {
  const auto alpha_gradient = [](bool batch_norm) {
    torch::manual_seed(0);
    nn::Conv2d conv(nn::Conv2dOptions(8, 16, 3).padding(1).bias(false));
    auto hook = std::make_shared<ConvQuantizerImpl>(
        ConvQuantizerOptions(conv->weight.sizes(), 8)
            .weight({1, true, Granularity::kPerChannel, QuantKind::kBinary}));
    conv->set_hook(hook);
    torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(16).eps(1e-3));
    const auto x = torch::randn({4, 8, 12, 12});
    const auto target = torch::randn({4, 16, 12, 12});
    auto y = conv->forward(x);
    if (batch_norm) y = bn->forward(y);
    (y - target).pow(2).mean().backward();
    return std::static_pointer_cast<BinaryWeightQuantizerImpl>(hook->weight_quantizer())
        ->scale.grad()
        .abs()
        .mean()
        .item<double>();
  };
  const double with_bn = alpha_gradient(true), without_bn = alpha_gradient(false);
  EXPECT_GT(without_bn, 1e-3);
  EXPECT_LT(with_bn, 0.05 * without_bn) << "with BN " << with_bn << ", without " << without_bn;
}

TEST(BinaryQuantizer, ActivationOutputsArePlusMinusScale) {
  torch::manual_seed(1);
  BinaryActivationQuantizer q(3);
  const auto x = torch::randn({2, 3, 4, 4});
  q->start_observing();
  q->forward(x);
  q->finish_observing(ActInit::kMinMax);
  EXPECT_NEAR(q->scale.item<double>(), x.abs().mean().item<double>(), 1e-6);
  {
    torch::NoGradGuard no_grad;
    q->shift.copy_(torch::tensor({0.1f, -0.2f, 0.0f}));
  }
  const auto out = q->forward(x);
  const auto levels = std::get<0>(torch::_unique(out.abs()));
  ASSERT_EQ(levels.numel(), 1);
  EXPECT_FLOAT_EQ(levels.item<float>(), q->scale.item<float>());
  EXPECT_TRUE(
      torch::equal(torch::sign(out), binary_sign(x - q->shift.detach().reshape({1, 3, 1, 1}))));
}

TEST(BinaryQuantizer, ApproxSignGradientMatchesItsFormula) {
  const auto x = torch::tensor({-1.5f, -1.0f, -0.75f, -0.25f, 0.0f, 0.3f, 0.9f, 1.0f, 2.0f},
                               torch::requires_grad());
  approx_sign(x).backward(torch::ones({9}));
  // d/dx of 2x + x² on [−1, 0) and 2x − x² on [0, 1): 2 + 2x and 2 − 2x; 0 beyond.
  const auto expected = torch::tensor({0.0f, 0.0f, 0.5f, 1.5f, 2.0f, 1.4f, 0.2f, 0.0f, 0.0f});
  EXPECT_TRUE(torch::allclose(x.grad(), expected, 1e-6, 1e-6));
}

TEST(BinaryQuantizer, ActivationShiftAndScaleGradients) {
  BinaryActivationQuantizer q(1);
  q->forward(torch::ones({1, 1, 1, 2}));  // initialises scale = 1
  const auto x = torch::tensor({0.25f, -0.5f}).reshape({1, 1, 1, 2}).requires_grad_();
  q->forward(x).sum().backward();
  // out = α·sign(x − b): dx = α·(2 − 2|x − b|), db = −Σ dx, dα = Σ sign(x − b)
  EXPECT_TRUE(torch::allclose(x.grad().flatten(), torch::tensor({1.5f, 1.0f})));
  EXPECT_NEAR(q->shift.grad().item<double>(), -2.5, 1e-6);
  EXPECT_NEAR(q->scale.grad().item<double>(), 0.0, 1e-6);
}

}  // namespace
}  // namespace qyolo::quant
