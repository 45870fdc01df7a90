#include "qyolo/quant/fake_quantize.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <vector>

namespace qyolo::quant {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Adding and subtracting 1.5·2^mantissa rounds to the nearest integer, ties to even, under the
// default rounding mode; unlike std::nearbyint it vectorises. Valid for |v| < 2^22 (float), which
// the clamp to an 8-bit grid guarantees.
template <typename T>
struct RoundMagic;
template <>
struct RoundMagic<float> {
  static constexpr float value = 12582912.0f;
};
template <>
struct RoundMagic<double> {
  static constexpr double value = 6755399441055744.0;
};

// Read through a volatile so the compiler cannot fold (v + m) − m back to v.
template <typename T>
inline T round_magic() {
  volatile T magic = RoundMagic<T>::value;
  return magic;
}

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

// One channel's grid, passed by value: stores through the output pointers cannot change it, so
// the loops below vectorise.
template <typename T>
struct Grid {
  T step, offset, qmin, qmax, magic;
};

template <typename T>
void quantize_range(const T* __restrict x, T* __restrict out, int64_t n, Grid<T> g) {
  for (int64_t i = 0; i < n; ++i) {
    T v = (x[i] - g.offset) / g.step;
    v = v < g.qmin ? g.qmin : v;
    v = v > g.qmax ? g.qmax : v;
    out[i] = ((v + g.magic) - g.magic) * g.step + g.offset;
  }
}

// Vectorized accumulators: float sums would not vectorise otherwise (no reassociation without
// -ffast-math); the loop body is branch-free.
template <typename T>
void gradient_range(const T* __restrict x, const T* __restrict grad, T* __restrict grad_x,
                    int64_t n, Grid<T> g, double& grad_step, double& grad_offset) {
  using Vec = at::vec::Vectorized<T>;
  const Vec step(g.step), offset(g.offset), qmin(g.qmin), qmax(g.qmax), magic(g.magic);
  const Vec one(T(1)), huge(T(1e30));
  Vec ds(T(0)), db(T(0));
  int64_t i = 0;
  for (; i + Vec::size() <= n; i += Vec::size()) {
    const Vec v = (Vec::loadu(x + i) - offset) / step;
    const Vec gi = Vec::loadu(grad + i);
    const Vec clamped = at::vec::minimum(at::vec::maximum(v, qmin), qmax);
    // 1 where the clamp left v unchanged, else 0: any non-zero |v − clamped| (at least one ulp of
    // a value near the grid edge, never denormal) times 1e30 exceeds 1. Arithmetic instead of a
    // compare mask, which the portable Vectorized implements element by element with branches.
    const Vec inside = one - at::vec::minimum((v - clamped).abs() * huge, one);
    const Vec q = (clamped + magic) - magic;
    (gi * inside).store(grad_x + i);
    // q − v inside; q is qmin or qmax outside.
    ds = ds + gi * (q - inside * v);
    db = db + (gi - gi * inside);
  }
  T ds_lanes[Vec::size()], db_lanes[Vec::size()];
  ds.store(ds_lanes);
  db.store(db_lanes);
  grad_step = 0;
  grad_offset = 0;
  for (int lane = 0; lane < Vec::size(); ++lane) {
    grad_step += ds_lanes[lane];
    grad_offset += db_lanes[lane];
  }
  for (; i < n; ++i) {
    const T v = (x[i] - g.offset) / g.step;
    const T clamped = std::min(std::max(v, g.qmin), g.qmax);
    const T inside = clamped == v ? T(1) : T(0);
    const T q = (clamped + g.magic) - g.magic;
    grad_x[i] = grad[i] * inside;
    grad_step += grad[i] * (q - inside * v);
    grad_offset += grad[i] - grad[i] * inside;
  }
}

template <typename T>
Grid<T> grid_of(const T* step, const T* offset, int64_t channel, T qmin, T qmax) {
  return {step[channel], offset[channel], qmin, qmax, round_magic<T>()};
}

template <typename T>
void forward_kernel(const T* x, T* out, const T* step, const T* offset, Layout layout, T qmin,
                    T qmax) {
  for (int64_t c = 0; c < layout.channels; ++c) {
    const auto grid = grid_of(step, offset, c, qmin, qmax);
    const T* xc = x + c * layout.inner;
    T* oc = out + c * layout.inner;
    at::parallel_for(0, layout.inner, kChunk, [&](int64_t begin, int64_t end) {
      quantize_range(xc + begin, oc + begin, end - begin, grid);
    });
  }
}

template <typename T>
void backward_kernel(const T* x, const T* grad, T* grad_x, const T* step, const T* offset,
                     Layout layout, T qmin, T qmax, double* grad_step, double* grad_offset) {
  const int64_t chunks = (layout.inner + kChunk - 1) / kChunk;
  std::vector<double> step_partial(chunks), offset_partial(chunks);
  for (int64_t c = 0; c < layout.channels; ++c) {
    const auto grid = grid_of(step, offset, c, qmin, qmax);
    const int64_t base = c * layout.inner;
    at::parallel_for(0, chunks, 1, [&](int64_t chunk_begin, int64_t chunk_end) {
      for (int64_t k = chunk_begin; k < chunk_end; ++k) {
        const int64_t begin = k * kChunk;
        const int64_t end = std::min(begin + kChunk, layout.inner);
        gradient_range(x + base + begin, grad + base + begin, grad_x + base + begin, end - begin,
                       grid, step_partial[k], offset_partial[k]);
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

// The same computation with tensor ops, for devices without the fused kernel.
Tensor forward_generic(const Tensor& x, const Tensor& step, const Tensor& offset, int64_t qmin,
                       int64_t qmax) {
  const auto s = broadcast_like(step, x);
  const auto b = broadcast_like(offset, x);
  return torch::round(torch::clamp((x - b) / s, qmin, qmax)) * s + b;
}

struct FakeQuantizeFunction : public torch::autograd::Function<FakeQuantizeFunction> {
  static Tensor forward(AutogradContext* ctx, Tensor x, Tensor step, Tensor offset, int64_t qmin,
                        int64_t qmax, double grad_scale, bool learn_offset) {
    ctx->save_for_backward({x, step, offset});
    ctx->saved_data["qmin"] = qmin;
    ctx->saved_data["qmax"] = qmax;
    ctx->saved_data["grad_scale"] = grad_scale;
    ctx->saved_data["learn_offset"] = learn_offset;
    if (!x.is_cpu()) return forward_generic(x, step, offset, qmin, qmax);
    const auto xc = x.contiguous();
    const auto sc = step.detach().to(x.scalar_type()).contiguous();
    const auto bc = offset.detach().to(x.scalar_type()).contiguous();
    auto out = torch::empty_like(xc);
    const auto layout = layout_of(xc, sc);
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "fake_quantize_forward", [&] {
      forward_kernel<scalar_t>(xc.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                               sc.data_ptr<scalar_t>(), bc.data_ptr<scalar_t>(), layout,
                               static_cast<scalar_t>(qmin), static_cast<scalar_t>(qmax));
    });
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& step = saved[1];
    const auto& offset = saved[2];
    const auto qmin = ctx->saved_data["qmin"].toInt();
    const auto qmax = ctx->saved_data["qmax"].toInt();
    const auto grad_scale = ctx->saved_data["grad_scale"].toDouble();
    const auto& grad = grad_outputs[0];

    Tensor grad_x, grad_step, grad_offset;
    if (x.is_cpu()) {
      const auto xc = x.contiguous();
      const auto gc = grad.to(x.scalar_type()).contiguous();
      const auto sc = step.to(x.scalar_type()).contiguous();
      const auto bc = offset.to(x.scalar_type()).contiguous();
      const auto layout = layout_of(xc, sc);
      grad_x = torch::empty_like(xc);
      auto step_sum = torch::empty({layout.channels}, torch::dtype(torch::kDouble));
      auto offset_sum = torch::empty({layout.channels}, torch::dtype(torch::kDouble));
      AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "fake_quantize_backward", [&] {
        backward_kernel<scalar_t>(xc.data_ptr<scalar_t>(), gc.data_ptr<scalar_t>(),
                                  grad_x.data_ptr<scalar_t>(), sc.data_ptr<scalar_t>(),
                                  bc.data_ptr<scalar_t>(), layout, static_cast<scalar_t>(qmin),
                                  static_cast<scalar_t>(qmax), step_sum.data_ptr<double>(),
                                  offset_sum.data_ptr<double>());
      });
      grad_step = step_sum.to(step.scalar_type());
      grad_offset = offset_sum.to(step.scalar_type());
    } else {
      const auto s = broadcast_like(step, x);
      const auto v = (x - broadcast_like(offset, x)) / s;
      const auto inside = torch::logical_and(v >= qmin, v <= qmax).to(x.scalar_type());
      const auto q = torch::round(torch::clamp(v, qmin, qmax));
      grad_x = grad * inside;
      const auto per_channel = [&](const Tensor& t) {
        return step.numel() == 1 ? t.sum().reshape(step.sizes()) : t.flatten(1).sum(1);
      };
      grad_step = per_channel(grad * (q - inside * v));
      grad_offset = per_channel(grad - grad * inside);
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
