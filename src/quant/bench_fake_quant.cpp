#include "qyolo/quant/bench_fake_quant.h"

#include <spdlog/fmt/fmt.h>

#include <functional>

#include "qyolo/core/timing.h"
#include "qyolo/quant/fake_quantize.h"

namespace qyolo::quant {

nlohmann::json FakeQuantBenchResult::to_json() const {
  return {{"shape", shape}, {"fused_s", fused_s}, {"aten_s", aten_s}, {"threads", threads}};
}

std::string FakeQuantBenchResult::to_string() const {
  return fmt::format(
      "fake-quant fwd+bwd, {} thread(s): fused {:.2f} ms, ATen {:.2f} ms ({:.2f}x)\n", threads,
      fused_s * 1e3, aten_s * 1e3, aten_s / fused_s);
}

FakeQuantBenchResult bench_fake_quant(const FakeQuantBenchOptions& o, torch::Device device) {
  torch::manual_seed(0);
  const auto x = torch::randn(o.shape(), torch::TensorOptions().device(device)).requires_grad_();
  const auto grad = torch::randn_like(x);
  const auto step = torch::tensor({0.05f}, x.options()).requires_grad_();
  const auto offset = torch::tensor({-0.3f}, x.options()).requires_grad_();
  const auto zero_point = torch::tensor({6.f}, x.options()).requires_grad_();
  const auto time = [&](const std::function<torch::Tensor()>& forward) {
    std::vector<double> seconds;
    for (int i = 0; i <= o.repeats(); ++i) {
      const Stopwatch watch;
      forward().backward(grad);
      if (i > 0) seconds.push_back(watch.seconds());  // the first call warms up
    }
    return median(seconds);
  };
  FakeQuantBenchResult r;
  r.shape = o.shape();
  r.fused_s = time([&] { return fake_quantize(x, step, offset, 0, 15, 1e-3); });
  r.aten_s = time([&] {
    return at::_fake_quantize_learnable_per_tensor_affine(x, step, zero_point, 0, 15, 1e-3);
  });
  r.threads = torch::get_num_threads();
  return r;
}

}  // namespace qyolo::quant
