#include "qyolo/eval/rle.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

namespace qyolo::eval {

namespace {

// Walks two run-length sequences in lockstep, calling visit(run, a_on, b_on) for each common
// run; used by merge and IoU.
template <typename Visit>
void walk_pair(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b, Visit visit) {
  size_t ia = 1, ib = 1;
  uint32_t ra = a.empty() ? 0 : a[0], rb = b.empty() ? 0 : b[0];
  bool va = false, vb = false;
  while (true) {
    const uint32_t c = std::min(ra, rb);
    ra -= c;
    rb -= c;
    const bool va_run = va, vb_run = vb;
    if (ra == 0 && ia < a.size()) {
      ra = a[ia++];
      va = !va;
    }
    if (rb == 0 && ib < b.size()) {
      rb = b[ib++];
      vb = !vb;
    }
    const bool more = ra + static_cast<uint64_t>(rb) > 0;
    visit(c, va_run, vb_run, va, vb, more);
    if (!more) {
      break;
    }
  }
}

}  // namespace

Rle rle_encode(const torch::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "rle_encode: mask must be (h,w)");
  // Column-major order: transpose so that y runs fastest.
  auto columns = (mask != 0).to(torch::kCPU, torch::kUInt8).t().contiguous();
  Rle rle{mask.size(0), mask.size(1), {}};
  const uint8_t* p = columns.data_ptr<uint8_t>();
  const int64_t n = columns.numel();
  uint8_t previous = 0;
  uint32_t run = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] != previous) {
      rle.counts.push_back(run);
      run = 0;
      previous = p[i];
    }
    ++run;
  }
  rle.counts.push_back(run);
  return rle;
}

torch::Tensor rle_decode(const Rle& rle) {
  auto columns = torch::zeros({rle.w, rle.h}, torch::kUInt8);
  uint8_t* p = columns.data_ptr<uint8_t>();
  int64_t pos = 0;
  bool on = false;
  for (uint32_t run : rle.counts) {
    if (on) {
      std::fill(p + pos, p + pos + run, uint8_t{1});
    }
    pos += run;
    on = !on;
  }
  return columns.t().contiguous();
}

Rle rle_from_polygon(const std::vector<double>& xy, int64_t h, int64_t w) {
  // Upsample 5x, walk every edge densely, keep the points where x changes (the y-boundary),
  // downsample them back to pixel centres and turn them into column-major run starts.
  constexpr double kScale = 5;
  const size_t k = xy.size() / 2;
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) {
    x[j] = static_cast<int>(kScale * xy[2 * j] + .5);
    y[j] = static_cast<int>(kScale * xy[2 * j + 1] + .5);
  }
  Rle rle{h, w, {}};
  if (k == 0) {
    rle.counts.push_back(static_cast<uint32_t>(h * w));
    return rle;
  }
  x[k] = x[0];
  y[k] = y[0];
  std::vector<int> u, v;
  for (size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    if (dx >= dy) {
      // A zero-length edge yields its single point (its y is never read: x does not change).
      const double s = dx == 0 ? 0.0 : static_cast<double>(ye - ys) / dx;
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u.push_back(t + xs);
        v.push_back(static_cast<int>(ys + s * t + .5));
      }
    } else {
      const double s = static_cast<double>(xe - xs) / dy;
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v.push_back(t + ys);
        u.push_back(static_cast<int>(xs + s * t + .5));
      }
    }
  }
  std::vector<uint32_t> starts;
  for (size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) {
      continue;
    }
    double xd = static_cast<double>(u[j] < u[j - 1] ? u[j] : u[j] - 1);
    xd = (xd + .5) / kScale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > static_cast<double>(w - 1)) {
      continue;
    }
    double yd = static_cast<double>(v[j] < v[j - 1] ? v[j] : v[j - 1]);
    yd = (yd + .5) / kScale - .5;
    if (yd < 0) {
      yd = 0;
    } else if (yd > static_cast<double>(h)) {
      yd = static_cast<double>(h);
    }
    yd = std::ceil(yd);
    starts.push_back(
        static_cast<uint32_t>(static_cast<int>(xd) * static_cast<int>(h) + static_cast<int>(yd)));
  }
  starts.push_back(static_cast<uint32_t>(h * w));
  std::sort(starts.begin(), starts.end());
  uint32_t previous = 0;
  for (auto& s : starts) {
    const uint32_t t = s;
    s -= previous;
    previous = t;
  }
  // Zero-length runs merge their neighbours.
  size_t j = 0;
  rle.counts.push_back(starts[j++]);
  while (j < starts.size()) {
    if (starts[j] > 0) {
      rle.counts.push_back(starts[j++]);
    } else {
      ++j;
      if (j < starts.size()) {
        rle.counts.back() += starts[j++];
      }
    }
  }
  return rle;
}

Rle rle_from_bbox(const std::array<double, 4>& b, int64_t h, int64_t w) {
  const double xs = b[0], xe = b[0] + b[2], ys = b[1], ye = b[1] + b[3];
  return rle_from_polygon({xs, ys, xs, ye, xe, ye, xe, ys}, h, w);
}

Rle rle_merge(const std::vector<Rle>& rles, bool intersect) {
  if (rles.empty()) {
    return {};
  }
  Rle merged = rles[0];
  for (size_t i = 1; i < rles.size(); ++i) {
    const Rle& b = rles[i];
    if (b.h != merged.h || b.w != merged.w) {
      return {};
    }
    std::vector<uint32_t> out;
    uint32_t run = 0;
    bool value = false;
    walk_pair(merged.counts, b.counts, [&](uint32_t c, bool, bool, bool va, bool vb, bool more) {
      run += c;
      const bool previous = value;
      value = intersect ? (va && vb) : (va || vb);
      if (value != previous || !more) {
        out.push_back(run);
        run = 0;
      }
    });
    merged.counts = std::move(out);
  }
  return merged;
}

uint32_t rle_area(const Rle& rle) {
  uint32_t area = 0;
  for (size_t j = 1; j < rle.counts.size(); j += 2) {
    area += rle.counts[j];
  }
  return area;
}

std::array<double, 4> rle_to_bbox(const Rle& rle) {
  const uint32_t h = static_cast<uint32_t>(rle.h), w = static_cast<uint32_t>(rle.w);
  const size_t m = rle.counts.size() / 2 * 2;
  if (m == 0) {
    return {0, 0, 0, 0};
  }
  uint32_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
  for (size_t j = 0; j < m; ++j) {
    cc += rle.counts[j];
    const uint32_t t = cc - static_cast<uint32_t>(j % 2);
    const uint32_t y = t % h, x = (t - y) / h;
    if (j % 2 == 0) {
      xp = x;
    } else if (xp < x) {
      // The run crosses a column: the mask spans the full height.
      ys = 0;
      ye = h - 1;
    }
    xs = std::min(xs, x);
    xe = std::max(xe, x);
    ys = std::min(ys, y);
    ye = std::max(ye, y);
  }
  return {static_cast<double>(xs), static_cast<double>(ys), static_cast<double>(xe - xs + 1),
          static_cast<double>(ye - ys + 1)};
}

std::string rle_to_string(const Rle& rle) {
  std::string s;
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    // Deltas against the run two back (same value) keep the numbers small.
    int64_t x = rle.counts[i];
    if (i > 2) {
      x -= static_cast<int64_t>(rle.counts[i - 2]);
    }
    bool more = true;
    while (more) {
      char c = static_cast<char>(x & 0x1f);
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) {
        c |= 0x20;
      }
      s.push_back(static_cast<char>(c + 48));
    }
  }
  return s;
}

Rle rle_from_string(const std::string& s, int64_t h, int64_t w) {
  Rle rle{h, w, {}};
  size_t p = 0;
  while (p < s.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      TORCH_CHECK(p < s.size(), "rle_from_string: truncated counts string");
      const int c = s[p] - 48;
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = c & 0x20;
      ++p;
      ++k;
      if (!more && (c & 0x10)) {
        x |= -(int64_t{1} << (5 * k));
      }
    }
    if (rle.counts.size() > 2) {
      x += static_cast<int64_t>(rle.counts[rle.counts.size() - 2]);
    }
    rle.counts.push_back(static_cast<uint32_t>(x));
  }
  return rle;
}

void coco_box_iou(const std::vector<std::array<double, 4>>& dt,
                  const std::vector<std::array<double, 4>>& gt, const std::vector<uint8_t>& iscrowd,
                  double* out) {
  const size_t m = dt.size(), n = gt.size();
  for (size_t g = 0; g < n; ++g) {
    const auto& G = gt[g];
    const double ga = G[2] * G[3];
    const bool crowd = !iscrowd.empty() && iscrowd[g];
    for (size_t d = 0; d < m; ++d) {
      const auto& D = dt[d];
      const double da = D[2] * D[3];
      double& o = out[d * n + g];
      o = 0;
      const double iw = std::fmin(D[2] + D[0], G[2] + G[0]) - std::fmax(D[0], G[0]);
      if (iw <= 0) {
        continue;
      }
      const double ih = std::fmin(D[3] + D[1], G[3] + G[1]) - std::fmax(D[1], G[1]);
      if (ih <= 0) {
        continue;
      }
      const double inter = iw * ih;
      o = inter / (crowd ? da : da + ga - inter);
    }
  }
}

void coco_mask_iou(const std::vector<const Rle*>& dt, const std::vector<const Rle*>& gt,
                   const std::vector<uint8_t>& iscrowd, double* out) {
  const size_t m = dt.size(), n = gt.size();
  std::vector<std::array<double, 4>> db(m), gb(n);
  for (size_t d = 0; d < m; ++d) {
    db[d] = rle_to_bbox(*dt[d]);
  }
  for (size_t g = 0; g < n; ++g) {
    gb[g] = rle_to_bbox(*gt[g]);
  }
  // Boxes first: disjoint boxes mean disjoint masks.
  coco_box_iou(db, gb, iscrowd, out);
  for (size_t g = 0; g < n; ++g) {
    const bool crowd = !iscrowd.empty() && iscrowd[g];
    for (size_t d = 0; d < m; ++d) {
      double& o = out[d * n + g];
      if (!(o > 0)) {
        continue;
      }
      if (dt[d]->h != gt[g]->h || dt[d]->w != gt[g]->w) {
        o = -1;
        continue;
      }
      uint32_t inter = 0, uni = 0;
      walk_pair(dt[d]->counts, gt[g]->counts, [&](uint32_t c, bool va, bool vb, bool, bool, bool) {
        if (va || vb) {
          uni += c;
          if (va && vb) {
            inter += c;
          }
        }
      });
      if (inter == 0) {
        uni = 1;
      } else if (crowd) {
        uni = rle_area(*dt[d]);
      }
      o = static_cast<double>(inter) / static_cast<double>(uni);
    }
  }
}

}  // namespace qyolo::eval
