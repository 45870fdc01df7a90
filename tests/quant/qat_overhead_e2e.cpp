// Cost of fake quantization: the fused kernel against ATen's learnable fake-quant ops, and a
// yolov5n training step (forward + backward) at batch 16, 320 px, FP against W4A4.
#include <gtest/gtest.h>

#include <chrono>

#include "qyolo/quant/calibration.h"
#include "qyolo/quant/fake_quantize.h"
#include "qyolo/quant/policy.h"
#include "support/test_support.h"

namespace qyolo::quant {
namespace {

template <class F>
double seconds_per_call(F&& f, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) f();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
}

TEST(QatOverhead, FusedFakeQuantizeAgainstAten) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  // The largest yolov5n activation at 320 px, batch 16.
  const auto x = torch::randn({16, 16, 160, 160}).requires_grad_();
  const auto grad = torch::randn_like(x);
  const auto step = torch::tensor({0.05f}).requires_grad_();
  const auto offset = torch::tensor({-0.3f}).requires_grad_();
  const double ours =
      seconds_per_call([&] { fake_quantize(x, step, offset, 0, 15, 1e-3).backward(grad); }, 1, 5);
  const auto zero_point = torch::tensor({6.f}).requires_grad_();
  const double aten = seconds_per_call(
      [&] {
        at::_fake_quantize_learnable_per_tensor_affine(x, step, zero_point, 0, 15, 1e-3)
            .backward(grad);
      },
      1, 5);
  std::printf("fake-quant fwd+bwd of 16x16x160x160, 1 thread: fused %.1f ms, ATen %.1f ms\n",
              ours * 1e3, aten * 1e3);
  EXPECT_LT(ours, aten * 1.5);
}

TEST(QatOverhead, Yolov5nStepFpAgainstW4A4) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs" / "models" / "yolov5n.yaml");
  model->train();
  const auto images = torch::rand({16, 3, 320, 320});
  const auto step = [&] {
    const auto out = model->forward(images);
    torch::Tensor loss = torch::zeros({});
    for (const auto& raw : out.raw) loss = loss + raw.pow(2).mean();
    model->zero_grad();
    loss.backward();
  };
  const double fp = seconds_per_call(step, 2, 3);
  config::QuantConfig c;
  c.enabled = true;
  quant::apply(*model, Policy(c));
  calibrate_activations(*model, {images}, ActInit::kMinMax);
  const double w4a4 = seconds_per_call(step, 2, 3);
  std::printf("yolov5n b16 320px fwd+bwd, 1 thread: FP %.3f s, W4A4 %.3f s (%.2fx)\n", fp, w4a4,
              w4a4 / fp);
  EXPECT_LT(w4a4 / fp, 2.0);
}

}  // namespace
}  // namespace qyolo::quant
