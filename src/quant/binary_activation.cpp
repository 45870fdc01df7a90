#include "qyolo/quant/binary_activation.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "qyolo/quant/binary_quantizer.h"
#include "vector_floats.h"

namespace qyolo::quant {
namespace {

using simd::Floats;
using simd::kWidth;
using torch::Tensor;
using Context = torch::autograd::AutogradContext;

// Float lane sums are moved into doubles every kBlock elements, which bounds their rounding error.
constexpr int64_t kBlock = 4096;
// Elements of work a thread takes at a time, in whole planes (one channel of one image).
constexpr int64_t kWorkPerTask = 16384;

struct Planes {
  int64_t channels;
  int64_t count;  // N·C
  int64_t size;   // elements per plane
};

Planes planes_of(const Tensor& x) {
  const int64_t count = x.size(0) * x.size(1);
  return {x.size(1), count, count == 0 ? 0 : x.numel() / count};
}

int64_t planes_per_task(const Planes& planes) {
  return std::max<int64_t>(1, kWorkPerTask / std::max<int64_t>(1, planes.size));
}

QYOLO_VECTOR_CLONES
void sign_range(const float* __restrict x, float* __restrict out, int64_t n, float shift,
                float scale) {
  const Floats positive = scale - Floats{}, negative = -scale - Floats{};
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    Floats xs;
    std::memcpy(&xs, x + i, sizeof xs);
    const Floats ys = xs - shift >= 0 ? positive : negative;
    std::memcpy(out + i, &ys, sizeof ys);
  }
  for (; i < n; ++i) out[i] = x[i] - shift >= 0 ? scale : -scale;
}

struct GradientSums {
  double input = 0;  // Σ dx
  double scale = 0;  // Σ g·sign(u)
};

// dx = (g·α)·max(0, 2 − 2|u|), in the order the tensor-op form multiplies.
QYOLO_VECTOR_CLONES
GradientSums gradient_range(const float* __restrict x, const float* __restrict grad,
                            float* __restrict grad_x, int64_t n, float shift, float scale) {
  const Floats zero{};
  Floats input_sum{}, scale_sum{};
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    Floats xs, g;
    std::memcpy(&xs, x + i, sizeof xs);
    std::memcpy(&g, grad + i, sizeof g);
    const Floats u = xs - shift;
    const Floats magnitude = u < 0 ? -u : u;
    const Floats slope = 2.0f - 2.0f * magnitude;
    const Floats gx = (g * scale) * (slope > 0 ? slope : zero);
    std::memcpy(grad_x + i, &gx, sizeof gx);
    input_sum += gx;
    scale_sum += u >= 0 ? g : -g;
  }
  GradientSums sums;
  for (int lane = 0; lane < kWidth; ++lane) {
    sums.input += input_sum[lane];
    sums.scale += scale_sum[lane];
  }
  for (; i < n; ++i) {
    const float u = x[i] - shift;
    grad_x[i] = (grad[i] * scale) * std::max(0.0f, 2.0f - 2.0f * std::abs(u));
    sums.input += grad_x[i];
    sums.scale += u >= 0 ? grad[i] : -grad[i];
  }
  return sums;
}

struct BinaryActivationFunction : public torch::autograd::Function<BinaryActivationFunction> {
  static Tensor forward(Context* ctx, Tensor x, Tensor shift, Tensor scale) {
    const auto xc = x.contiguous();
    const auto planes = planes_of(xc);
    const auto b = shift.detach().to(torch::kFloat).contiguous();
    const auto alpha = scale.detach().item<float>();
    auto out = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    const float* shifts = b.data_ptr<float>();
    float* result = out.data_ptr<float>();
    at::parallel_for(0, planes.count, planes_per_task(planes), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const int64_t offset = p * planes.size;
        sign_range(in + offset, result + offset, planes.size, shifts[p % planes.channels], alpha);
      }
    });
    ctx->save_for_backward({xc, shift, scale});
    return out;
  }

  static torch::autograd::variable_list backward(Context* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& shift = saved[1];
    const auto& scale = saved[2];
    const auto grad = grad_outputs[0].to(torch::kFloat).contiguous();
    const auto planes = planes_of(x);
    const auto b = shift.detach().to(torch::kFloat).contiguous();
    const auto alpha = scale.detach().item<float>();
    auto grad_x = torch::empty_like(grad);
    std::vector<GradientSums> plane_sums(planes.count);
    const float* in = x.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    const float* shifts = b.data_ptr<float>();
    float* gx = grad_x.data_ptr<float>();
    at::parallel_for(0, planes.count, planes_per_task(planes), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float plane_shift = shifts[p % planes.channels];
        for (int64_t k = 0; k < planes.size; k += kBlock) {
          const int64_t offset = p * planes.size + k;
          const auto sums = gradient_range(in + offset, g + offset, gx + offset,
                                           std::min(kBlock, planes.size - k), plane_shift, alpha);
          plane_sums[p].input += sums.input;
          plane_sums[p].scale += sums.scale;
        }
      }
    });
    auto shift_sum = torch::zeros({planes.channels}, torch::dtype(torch::kDouble));
    double scale_sum = 0;
    auto* per_channel = shift_sum.data_ptr<double>();
    for (int64_t p = 0; p < planes.count; ++p) {
      per_channel[p % planes.channels] -= plane_sums[p].input;
      scale_sum += plane_sums[p].scale;
    }
    return {grad_x, shift_sum.to(shift.scalar_type()).reshape(shift.sizes()),
            torch::full(scale.sizes(), scale_sum, scale.options())};
  }
};

}  // namespace

torch::Tensor binary_activation(const torch::Tensor& x, const torch::Tensor& shift,
                                const torch::Tensor& scale) {
  TORCH_CHECK(scale.numel() == 1, "binary activation takes one scale, got ", scale.numel());
  TORCH_CHECK(x.dim() >= 2 && x.size(1) == shift.numel(), "binary activation has ", shift.numel(),
              " shifts, input is shaped ", x.sizes());
  if (x.is_cpu() && x.scalar_type() == torch::kFloat) {
    return BinaryActivationFunction::apply(x, shift, scale);
  }
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = shift.numel();
  return approx_sign(x - shift.reshape(shape)) * scale.reshape({});
}

}  // namespace qyolo::quant
