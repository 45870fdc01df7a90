#include "qyolo/quant/fake_quantize.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "vector_floats.h"

namespace qyolo::quant {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using simd::Floats;
using simd::Ints;
using simd::kWidth;

// Adding and subtracting 1.5·2^23 rounds a float to the nearest integer, ties to even, under the
// default rounding mode; unlike std::nearbyint it vectorises. Valid for |v| < 2^22, which the
// clamp to an 8-bit grid guarantees. The value comes in as a run-time argument so the compiler
// cannot fold (v + m) − m back to v.
float round_magic() {
  volatile float magic = 12582912.0f;
  return magic;
}

// What the backward needs of each element, in 2 bytes instead of the 4-byte input: the rounding
// residual round(v) − v ∈ [−½, ½] in 16-bit fixed point (absolute error ≤ 2^-17), or a flag for v
// below or above the grid.
using Code = int16_t;
using Codes = Code __attribute__((vector_size(2 * kWidth)));
constexpr float kResidualScale = 65532.0f;  // ±½ ↦ ±32766
constexpr float kResidualUnit = 1.0f / kResidualScale;
constexpr Code kBelow = -32768;
constexpr Code kAbove = 32767;

// Chunk of elements whose partial sums are reduced in a fixed order (deterministic results).
constexpr int64_t kChunk = 16384;

struct Layout {
  int64_t channels;
  int64_t inner;
};

Layout layout_of(const Tensor& x, const Tensor& step) {
  const int64_t channels = step.numel();
  TORCH_CHECK(channels == 1 || (x.dim() > 0 && x.size(0) == channels), "fake_quantize: ", channels,
              " steps do not match dim 0 of a tensor shaped ", x.sizes());
  return {channels, x.numel() / channels};
}

// One channel's grid, passed by value: stores through the output pointers cannot change it.
struct Grid {
  float step, offset, qmin, qmax, magic;
};

Code code_of(float v, float q, Grid g) {
  if (v < g.qmin) return kBelow;
  if (v > g.qmax) return kAbove;
  return static_cast<Code>(((q - v) * kResidualScale + g.magic) - g.magic);
}

QYOLO_VECTOR_CLONES
void quantize_range(const float* __restrict x, float* __restrict out, Code* __restrict code,
                    int64_t n, Grid g) {
  const Floats qmin = g.qmin - Floats{}, qmax = g.qmax - Floats{};
  const Floats residual_bound = 32766.0f - Floats{};
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    Floats xs;
    std::memcpy(&xs, x + i, sizeof xs);
    const Floats v = (xs - g.offset) / g.step;
    const Floats clamped = v < qmin ? qmin : (v > qmax ? qmax : v);
    const Floats q = (clamped + g.magic) - g.magic;
    const Floats ys = q * g.step + g.offset;
    std::memcpy(out + i, &ys, sizeof ys);
    // Outside the grid the residual is meaningless; bound it so the conversion is defined.
    Floats r = (q - v) * kResidualScale;
    r = r < -residual_bound ? -residual_bound : (r > residual_bound ? residual_bound : r);
    const Ints inside = __builtin_convertvector((r + g.magic) - g.magic, Ints);
    const Ints below = v < qmin;
    const Ints above = v > qmax;
    const Codes cs = __builtin_convertvector(
        (inside & ~(below | above)) | (below & kBelow) | (above & kAbove), Codes);
    std::memcpy(code + i, &cs, sizeof cs);
  }
  for (; i < n; ++i) {
    const float v = (x[i] - g.offset) / g.step;
    const float q = (std::min(std::max(v, g.qmin), g.qmax) + g.magic) - g.magic;
    out[i] = q * g.step + g.offset;
    code[i] = code_of(v, q, g);
  }
}

// dx = g inside; Σ g·(q − v) inside, g·qmin below, g·qmax above; Σ g outside. Masks select by
// bits, so the loop has no branches.
QYOLO_VECTOR_CLONES
void gradient_range(const Code* __restrict code, const float* __restrict grad,
                    float* __restrict grad_x, int64_t n, float qmin, float qmax, double& grad_step,
                    double& grad_offset) {
  const Ints qmin_bits = reinterpret_cast<Ints>(qmin - Floats{});
  const Ints qmax_bits = reinterpret_cast<Ints>(qmax - Floats{});
  Floats ds{}, db{};
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    Codes cs;
    std::memcpy(&cs, code + i, sizeof cs);
    Floats g;
    std::memcpy(&g, grad + i, sizeof g);
    const Ints c = __builtin_convertvector(cs, Ints);
    const Ints below = c == kBelow;
    const Ints above = c == kAbove;
    const Ints outside = below | above;
    const Ints residual =
        reinterpret_cast<Ints>(__builtin_convertvector(c, Floats) * kResidualUnit);
    const Floats term =
        reinterpret_cast<Floats>((residual & ~outside) | (qmin_bits & below) | (qmax_bits & above));
    const Floats g_outside = reinterpret_cast<Floats>(reinterpret_cast<Ints>(g) & outside);
    const Floats gx = g - g_outside;
    std::memcpy(grad_x + i, &gx, sizeof gx);
    ds += g * term;
    db += g_outside;
  }
  grad_step = 0;
  grad_offset = 0;
  for (int lane = 0; lane < kWidth; ++lane) {
    grad_step += ds[lane];
    grad_offset += db[lane];
  }
  for (; i < n; ++i) {
    const bool below = code[i] == kBelow;
    const bool above = code[i] == kAbove;
    grad_x[i] = below || above ? 0.0f : grad[i];
    grad_step += grad[i] * (below ? qmin : above ? qmax : code[i] * kResidualUnit);
    grad_offset += below || above ? grad[i] : 0.0f;
  }
}

void forward_kernel(const float* x, float* out, Code* code, const float* step, const float* offset,
                    Layout layout, float qmin, float qmax) {
  const float magic = round_magic();
  for (int64_t c = 0; c < layout.channels; ++c) {
    const Grid grid{step[c], offset[c], qmin, qmax, magic};
    const int64_t base = c * layout.inner;
    at::parallel_for(0, layout.inner, kChunk, [&](int64_t begin, int64_t end) {
      quantize_range(x + base + begin, out + base + begin, code + base + begin, end - begin, grid);
    });
  }
}

void backward_kernel(const Code* code, const float* grad, float* grad_x, Layout layout, float qmin,
                     float qmax, double* grad_step, double* grad_offset) {
  const int64_t chunks = (layout.inner + kChunk - 1) / kChunk;
  std::vector<double> step_partial(chunks), offset_partial(chunks);
  for (int64_t c = 0; c < layout.channels; ++c) {
    const int64_t base = c * layout.inner;
    at::parallel_for(0, chunks, 1, [&](int64_t chunk_begin, int64_t chunk_end) {
      for (int64_t k = chunk_begin; k < chunk_end; ++k) {
        const int64_t begin = base + k * kChunk;
        const int64_t n = std::min(kChunk, layout.inner - k * kChunk);
        gradient_range(code + begin, grad + begin, grad_x + begin, n, qmin, qmax, step_partial[k],
                       offset_partial[k]);
      }
    });
    double ds = 0, db = 0;
    for (int64_t k = 0; k < chunks; ++k) {
      ds += step_partial[k];
      db += offset_partial[k];
    }
    grad_step[c] = ds;
    grad_offset[c] = db;
  }
}

// The fused kernel handles contiguous-able float tensors on the CPU; other devices and dtypes
// take the same computation in tensor ops.
bool fused(const Tensor& x) { return x.is_cpu() && x.scalar_type() == torch::kFloat; }

Tensor per_channel_sum(const Tensor& t, const Tensor& step) {
  return step.numel() == 1 ? t.sum().reshape(step.sizes()) : t.flatten(1).sum(1);
}

struct FakeQuantizeFunction : public torch::autograd::Function<FakeQuantizeFunction> {
  static Tensor forward(AutogradContext* ctx, Tensor x, Tensor step, Tensor offset, int64_t qmin,
                        int64_t qmax, double grad_scale, bool learn_offset) {
    ctx->saved_data["qmin"] = qmin;
    ctx->saved_data["qmax"] = qmax;
    ctx->saved_data["grad_scale"] = grad_scale;
    ctx->saved_data["learn_offset"] = learn_offset;
    if (!fused(x)) {
      ctx->save_for_backward({x, step, offset});
      const auto s = broadcast_like(step, x);
      const auto b = broadcast_like(offset, x);
      return torch::round(torch::clamp((x - b) / s, qmin, qmax)) * s + b;
    }
    const auto xc = x.contiguous();
    const auto sc = step.detach().to(torch::kFloat).contiguous();
    const auto bc = offset.detach().to(torch::kFloat).contiguous();
    auto out = torch::empty_like(xc);
    auto code = torch::empty(xc.sizes(), xc.options().dtype(torch::kInt16));
    forward_kernel(xc.data_ptr<float>(), out.data_ptr<float>(), code.data_ptr<Code>(),
                   sc.data_ptr<float>(), bc.data_ptr<float>(), layout_of(xc, sc),
                   static_cast<float>(qmin), static_cast<float>(qmax));
    ctx->save_for_backward({code, step, offset});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& step = saved[1];
    const auto& offset = saved[2];
    const auto qmin = ctx->saved_data["qmin"].toInt();
    const auto qmax = ctx->saved_data["qmax"].toInt();
    const auto grad_scale = ctx->saved_data["grad_scale"].toDouble();
    const auto& grad = grad_outputs[0];

    Tensor grad_x, grad_step, grad_offset;
    if (saved[0].scalar_type() == torch::kInt16) {
      const auto& code = saved[0];
      const auto gc = grad.to(torch::kFloat).contiguous();
      const auto layout = layout_of(code, step);
      grad_x = torch::empty_like(gc);
      auto step_sum = torch::empty({layout.channels}, torch::dtype(torch::kDouble));
      auto offset_sum = torch::empty({layout.channels}, torch::dtype(torch::kDouble));
      backward_kernel(code.data_ptr<Code>(), gc.data_ptr<float>(), grad_x.data_ptr<float>(), layout,
                      static_cast<float>(qmin), static_cast<float>(qmax),
                      step_sum.data_ptr<double>(), offset_sum.data_ptr<double>());
      grad_step = step_sum.to(step.scalar_type());
      grad_offset = offset_sum.to(step.scalar_type());
    } else {
      const auto& x = saved[0];
      const auto s = broadcast_like(step, x);
      const auto v = (x - broadcast_like(offset, x)) / s;
      const auto inside = torch::logical_and(v >= qmin, v <= qmax).to(x.scalar_type());
      const auto q = torch::round(torch::clamp(v, qmin, qmax));
      grad_x = grad * inside;
      grad_step = per_channel_sum(grad * (q - inside * v), step);
      grad_offset = per_channel_sum(grad - grad * inside, step);
    }
    grad_step = (grad_step * grad_scale).reshape(step.sizes());
    if (ctx->saved_data["learn_offset"].toBool()) {
      grad_offset = (grad_offset * grad_scale).reshape(offset.sizes());
    } else {
      grad_offset = Tensor();
    }
    return {grad_x, grad_step, grad_offset, Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

}  // namespace

torch::Tensor broadcast_like(const torch::Tensor& per_channel, const torch::Tensor& x) {
  if (per_channel.numel() == 1) return per_channel.reshape({});
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = per_channel.numel();
  return per_channel.reshape(shape);
}

torch::Tensor fake_quantize(const torch::Tensor& x, const torch::Tensor& step,
                            const torch::Tensor& offset, int64_t qmin, int64_t qmax,
                            double grad_scale) {
  // Autograd functions take defined tensors only: LSQ runs with a zero offset that gets no
  // gradient.
  if (!offset.defined()) {
    return FakeQuantizeFunction::apply(x, step, torch::zeros_like(step.detach()), qmin, qmax,
                                       grad_scale, false);
  }
  return FakeQuantizeFunction::apply(x, step, offset, qmin, qmax, grad_scale, true);
}

torch::Tensor quantize_to_integers(const torch::Tensor& x, const torch::Tensor& step,
                                   const torch::Tensor& offset, int64_t qmin, int64_t qmax) {
  torch::NoGradGuard no_grad;
  const auto s = broadcast_like(step, x);
  const auto shifted = offset.defined() ? x - broadcast_like(offset, x) : x;
  return torch::round(torch::clamp(shifted / s, qmin, qmax));
}

}  // namespace qyolo::quant
