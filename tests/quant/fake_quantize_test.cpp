#include "qyolo/quant/fake_quantize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "qyolo/quant/lsq_quantizer.h"

namespace qyolo::quant {
namespace {

// Reference forward and gradients, element by element in double.
struct Expected {
  torch::Tensor out, grad_x, grad_step, grad_offset;
  // Bound on the step gradient's error from the 16-bit residual the kernel keeps (2^-17 per
  // element inside the grid).
  double residual_error;
};

Expected by_hand(const torch::Tensor& x, const torch::Tensor& grad, double s, double b,
                 int64_t qmin, int64_t qmax, double grad_scale) {
  auto xd = x.to(torch::kDouble).contiguous();
  auto gd = grad.to(torch::kDouble).contiguous();
  auto out = torch::empty_like(xd);
  auto gx = torch::empty_like(xd);
  double gs = 0, gb = 0, inside_abs_grad = 0;
  const auto* xp = xd.data_ptr<double>();
  const auto* gp = gd.data_ptr<double>();
  for (int64_t i = 0; i < xd.numel(); ++i) {
    // The kernel divides in float; do the same so ties are the same ties.
    const double v = static_cast<float>(static_cast<float>(xp[i] - b) / static_cast<float>(s));
    const double c = std::min(std::max(v, double(qmin)), double(qmax));
    const double q = std::nearbyint(c);  // default rounding mode: half to even
    out.data_ptr<double>()[i] = q * s + b;
    const bool inside = v >= qmin && v <= qmax;
    gx.data_ptr<double>()[i] = inside ? gp[i] : 0.0;
    gs += gp[i] * (inside ? q - v : q);
    gb += inside ? 0.0 : gp[i];
    inside_abs_grad += inside ? std::abs(gp[i]) : 0.0;
  }
  return {out, gx, torch::tensor({gs * grad_scale}, torch::kDouble),
          torch::tensor({gb * grad_scale}, torch::kDouble),
          grad_scale * inside_abs_grad * std::ldexp(1.0, -17)};
}

// Random values plus exact .5 ties of the grid, some far outside the range.
torch::Tensor test_input(double s, double b) {
  torch::manual_seed(0);
  auto random = torch::randn({2, 3, 7, 9}) * 3.0 * s + b;
  auto ties = (torch::arange(-20, 20).to(torch::kFloat) + 0.5) * s + b;
  return torch::cat({random.flatten(), ties}).reshape({-1, 19});
}

TEST(FakeQuantize, ForwardAndGradientsMatchLsqPlusFormulas) {
  for (const auto& [bits, is_signed, s, b] :
       std::vector<std::tuple<int, bool, double, double>>{{4, true, 0.25, 0.0},
                                                          {3, false, 0.5, -0.375},
                                                          {8, true, 0.0625, 0.125},
                                                          {2, false, 1.0, 0.0}}) {
    const auto range = int_range(bits, is_signed);
    const auto x = test_input(s, b).requires_grad_();
    const auto step = torch::tensor({s}, torch::kFloat).requires_grad_();
    const auto offset = torch::tensor({b}, torch::kFloat).requires_grad_();
    const double grad_scale = 0.37;
    const auto out = fake_quantize(x, step, offset, range.qmin, range.qmax, grad_scale);
    const auto grad = torch::randn_like(out);
    out.backward(grad);
    const auto expected = by_hand(x.detach(), grad, s, b, range.qmin, range.qmax, grad_scale);
    EXPECT_TRUE(torch::equal(out.to(torch::kDouble), expected.out)) << bits << " bits";
    EXPECT_TRUE(torch::equal(x.grad().to(torch::kDouble), expected.grad_x));
    EXPECT_NEAR(step.grad().item<double>(), expected.grad_step.item<double>(),
                1e-5 * (1 + std::abs(expected.grad_step.item<double>())) + expected.residual_error);
    EXPECT_NEAR(offset.grad().item<double>(), expected.grad_offset.item<double>(),
                1e-5 * (1 + std::abs(expected.grad_offset.item<double>())));
  }
}

TEST(FakeQuantize, TiesRoundHalfToEven) {
  const auto x = torch::tensor({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f});
  const auto out = fake_quantize(x, torch::ones({1}), {}, -8, 7, 1.0);
  EXPECT_TRUE(torch::equal(out, torch::tensor({0.f, 2.f, 2.f, -0.f, -2.f, -2.f})));
}

// ATen's learnable kernels decide "inside" on round(v) rather than v, so they differ from the LSQ
// formula for v within half a step beyond the clip edges; move such values out of that band.
torch::Tensor outside_rounding_band(torch::Tensor x, const torch::Tensor& steps, int64_t qmin,
                                    int64_t qmax) {
  const auto s = broadcast_like(steps, x);
  const auto v = x / s;
  const auto band = torch::logical_or(torch::logical_and(v > qmax, v <= qmax + 0.5),
                                      torch::logical_and(v < qmin, v >= qmin - 0.5));
  return torch::where(band, x + torch::sign(x) * s, x);
}

TEST(FakeQuantize, MatchesAtenLearnableFakeQuantGradients) {
  // ATen's kernels implement LSQ with grad_factor; without offset they must agree with ours.
  torch::manual_seed(1);
  const auto x =
      outside_rounding_band(torch::randn({4, 8, 5, 5}) * 0.7, torch::tensor({0.11f}), -8, 7)
          .requires_grad_();
  const auto grad = torch::randn({4, 8, 5, 5});
  const auto step = torch::tensor({0.11f}).requires_grad_();
  const auto ours = fake_quantize(x, step, {}, -8, 7, 0.05);
  ours.backward(grad);
  const auto ours_gx = x.grad().clone();
  const auto ours_gs = step.grad().clone();
  x.mutable_grad().zero_();
  const auto step_ref = torch::tensor({0.11f}).requires_grad_();
  const auto zero_point = torch::zeros({1});
  const auto reference =
      at::_fake_quantize_learnable_per_tensor_affine(x, step_ref, zero_point, -8, 7, 0.05);
  reference.backward(grad);
  EXPECT_TRUE(torch::equal(ours, reference));
  EXPECT_TRUE(torch::equal(ours_gx, x.grad()));
  EXPECT_NEAR(ours_gs.item<double>(), step_ref.grad().item<double>(), 1e-4);
}

TEST(FakeQuantize, PerChannelMatchesAten) {
  torch::manual_seed(2);
  const auto steps = (torch::rand({6}) * 0.05 + 0.01).requires_grad_();
  const auto w = outside_rounding_band(torch::randn({6, 3, 3, 3}) * 0.2, steps.detach(), -4, 3)
                     .requires_grad_();
  const auto grad = torch::randn({6, 3, 3, 3});
  const auto ours = fake_quantize(w, steps, {}, -4, 3, 0.1);
  ours.backward(grad);
  const auto ours_gw = w.grad().clone();
  w.mutable_grad().zero_();
  const auto steps_ref = steps.detach().clone().requires_grad_();
  const auto reference = at::_fake_quantize_learnable_per_channel_affine(
      w, steps_ref, torch::zeros({6}), 0, -4, 3, 0.1);
  reference.backward(grad);
  EXPECT_TRUE(torch::allclose(ours, reference, 0, 1e-7));
  EXPECT_TRUE(torch::equal(ours_gw, w.grad()));
  EXPECT_TRUE(torch::allclose(steps.grad(), steps_ref.grad(), 1e-4, 1e-5));
}

TEST(FakeQuantize, DoubleTensorsTakeTheTensorOpPathWithTheSameResults) {
  torch::manual_seed(4);
  const auto x = torch::randn({3, 4, 6, 6}) * 0.4;
  const auto grad = torch::randn({3, 4, 6, 6});
  std::vector<torch::Tensor> out, grad_x, grad_step, grad_offset;
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    const auto xi = x.to(dtype).clone().requires_grad_();
    const auto step = torch::tensor({0.07}, dtype).requires_grad_();
    const auto offset = torch::tensor({-0.05}, dtype).requires_grad_();
    const auto y = fake_quantize(xi, step, offset, 0, 15, 0.2);
    y.backward(grad.to(dtype));
    out.push_back(y.detach().to(torch::kDouble));
    grad_x.push_back(xi.grad().to(torch::kDouble));
    grad_step.push_back(step.grad().to(torch::kDouble));
    grad_offset.push_back(offset.grad().to(torch::kDouble));
  }
  EXPECT_TRUE(torch::allclose(out[0], out[1], 0, 1e-6));
  EXPECT_TRUE(torch::equal(grad_x[0], grad_x[1]));
  EXPECT_TRUE(torch::allclose(grad_step[0], grad_step[1], 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(grad_offset[0], grad_offset[1], 1e-5, 1e-5));
}

TEST(FakeQuantize, BackwardDoesNotKeepTheInputAlive) {
  // The fused path saves a 2-byte code per element; the 4-byte input may be freed once the
  // forward is done (only the conv that consumes the output keeps that).
  const auto step = torch::tensor({0.1f}).requires_grad_();
  auto x = (torch::randn({2, 3, 8, 8}).requires_grad_() * 2.0f);
  const c10::weak_intrusive_ptr<c10::TensorImpl> input(x.getIntrusivePtr());
  const auto out = fake_quantize(x, step, {}, -8, 7, 0.1);
  x.reset();
  EXPECT_TRUE(input.expired());
  out.sum().backward();
  EXPECT_TRUE(step.grad().defined());
}

TEST(FakeQuantize, NBitsGiveAtMostTwoToTheNLevels) {
  torch::manual_seed(3);
  const auto x = torch::randn({100000}) * 5;
  for (int bits = 2; bits <= 8; ++bits) {
    for (bool is_signed : {true, false}) {
      const auto range = int_range(bits, is_signed);
      const auto out = fake_quantize(x, torch::tensor({0.03f}), torch::tensor({-0.1f}), range.qmin,
                                     range.qmax, 1.0);
      const auto levels = std::get<0>(torch::_unique(out)).numel();
      EXPECT_LE(levels, int64_t{1} << bits);
      EXPECT_GE(levels, (int64_t{1} << bits) - 1);
    }
  }
}

}  // namespace
}  // namespace qyolo::quant
