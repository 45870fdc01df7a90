#include "qyolo/quant/binary_activation.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "qyolo/quant/binary_quantizer.h"

namespace qyolo::quant {
namespace {

struct Gradients {
  torch::Tensor out, x, shift, scale;
};

// Runs α·sign(x − b) forward and backward with a fixed upstream gradient.
Gradients run(const torch::Tensor& x0, const torch::Tensor& shift0, const torch::Tensor& scale0,
              const torch::Tensor& upstream) {
  auto x = x0.clone().requires_grad_();
  auto shift = shift0.clone().requires_grad_();
  auto scale = scale0.clone().requires_grad_();
  const auto out = binary_activation(x, shift, scale);
  out.backward(upstream);
  return {out.detach(), x.grad(), shift.grad(), scale.grad()};
}

// Inputs that hit every branch: u = x − b exactly 0, inside (−1, 1) and beyond ±1; planes longer
// than the kernel's vector width and block, plus a tail.
struct Case {
  torch::Tensor x, shift, scale, upstream;
};

Case random_case() {
  torch::manual_seed(7);
  Case c;
  c.x = torch::randn({3, 5, 67, 71}) * 1.5;
  c.shift = torch::randn({5}) * 0.3;
  c.x.select(1, 2).select(1, 4).fill_(c.shift[2].item<float>());  // u = 0 on a whole row
  c.scale = torch::tensor({0.7f});
  c.upstream = torch::randn(c.x.sizes());
  return c;
}

TEST(BinaryActivation, FusedKernelMatchesTheApproxSignTensorOps) {
  const auto c = random_case();
  const auto fused = run(c.x, c.shift, c.scale, c.upstream);
  // Double tensors take the tensor-op form: α·approx_sign(x − b).
  const auto reference = run(c.x.to(torch::kDouble), c.shift.to(torch::kDouble),
                             c.scale.to(torch::kDouble), c.upstream.to(torch::kDouble));
  EXPECT_TRUE(torch::equal(fused.out, reference.out.to(torch::kFloat)));
  EXPECT_TRUE(torch::allclose(fused.x, reference.x.to(torch::kFloat), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(fused.shift.to(torch::kDouble), reference.shift, 1e-4, 1e-3));
  EXPECT_TRUE(torch::allclose(fused.scale.to(torch::kDouble), reference.scale, 1e-5, 1e-2));
  // sign(0) = +1: the row where x equals the shift is +α.
  EXPECT_TRUE(torch::all(fused.out.select(1, 2).select(1, 4) == 0.7f).item<bool>());
}

TEST(BinaryActivation, GradientsDoNotDependOnTheThreadCount) {
  const auto c = random_case();
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = run(c.x, c.shift, c.scale, c.upstream);
  at::set_num_threads(4);
  const auto four = run(c.x, c.shift, c.scale, c.upstream);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.x, four.x));
  EXPECT_TRUE(torch::equal(one.shift, four.shift));
  EXPECT_TRUE(torch::equal(one.scale, four.scale));
}

TEST(BinaryActivation, NonContiguousInputGivesTheSameResult) {
  const auto c = random_case();
  const auto strided = c.x.transpose(2, 3).contiguous().transpose(2, 3);
  ASSERT_FALSE(strided.is_contiguous());
  const auto a = run(c.x, c.shift, c.scale, c.upstream);
  const auto b = run(strided, c.shift, c.scale, c.upstream);
  EXPECT_TRUE(torch::equal(a.out, b.out));
  EXPECT_TRUE(torch::equal(a.x, b.x));
  EXPECT_TRUE(torch::equal(a.shift, b.shift));
}

TEST(BinaryActivation, RejectsAShiftPerWrongChannelCount) {
  EXPECT_THROW(binary_activation(torch::zeros({1, 3, 2, 2}), torch::zeros({4}), torch::ones({1})),
               c10::Error);
}

}  // namespace
}  // namespace qyolo::quant
