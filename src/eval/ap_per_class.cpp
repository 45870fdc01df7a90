#include "qyolo/eval/ap_per_class.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace qyolo::eval {

namespace {

constexpr double kEps = 1e-16;
constexpr int64_t kCurvePoints = 1000;

std::vector<double> to_doubles(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous().view(-1);
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

torch::Tensor from_doubles(const std::vector<double>& v) {
  return torch::tensor(v, torch::kDouble);
}

// numpy.trapz(y, x).
double trapz(const std::vector<double>& y, const std::vector<double>& x) {
  double sum = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    sum += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
  }
  return sum;
}

struct ApCurve {
  double ap = 0;
  std::vector<double> mrec, mpre;
};

// compute_ap: precision envelope, then the area under its 101-point interpolation.
ApCurve compute_ap(const std::vector<double>& recall, const std::vector<double>& precision) {
  ApCurve c;
  c.mrec.reserve(recall.size() + 2);
  c.mrec.push_back(0.0);
  c.mrec.insert(c.mrec.end(), recall.begin(), recall.end());
  c.mrec.push_back(1.0);
  c.mpre.reserve(precision.size() + 2);
  c.mpre.push_back(1.0);
  c.mpre.insert(c.mpre.end(), precision.begin(), precision.end());
  c.mpre.push_back(0.0);
  for (size_t i = c.mpre.size() - 1; i-- > 0;) {
    c.mpre[i] = std::max(c.mpre[i], c.mpre[i + 1]);
  }
  static const std::vector<double> grid = linspace(0, 1, 101);
  std::vector<double> y(grid.size());
  for (size_t i = 0; i < grid.size(); ++i) {
    y[i] = interp(grid[i], c.mrec, c.mpre, c.mpre.front(), c.mpre.back());
  }
  c.ap = trapz(y, grid);
  return c;
}

// smooth(): box filter of fraction f with edge padding (np.convolve 'valid').
std::vector<double> smooth(const std::vector<double>& y, double f) {
  const int64_t nf = static_cast<int64_t>(std::nearbyint(y.size() * f * 2)) / 2 + 1;
  const int64_t pad = nf / 2;
  std::vector<double> padded(pad, y.front());
  padded.insert(padded.end(), y.begin(), y.end());
  padded.insert(padded.end(), pad, y.back());
  const double w = 1.0 / static_cast<double>(nf);
  std::vector<double> out(y.size());
  for (size_t i = 0; i < out.size(); ++i) {
    double s = 0;
    for (int64_t k = 0; k < nf; ++k) {
      s += padded[i + k] * w;
    }
    out[i] = s;
  }
  return out;
}

}  // namespace

std::vector<double> linspace(double start, double stop, int64_t num) {
  std::vector<double> y(num);
  const int64_t div = num - 1;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  for (int64_t i = 0; i < num; ++i) {
    y[i] = static_cast<double>(i) * step + start;
  }
  if (num > 1) {
    y[num - 1] = stop;
  }
  return y;
}

double interp(double x, const std::vector<double>& xp, const std::vector<double>& fp, double left,
              double right) {
  const size_t n = xp.size();
  if (std::isnan(x)) {
    return x;
  }
  if (x < xp.front()) {
    return left;
  }
  if (x > xp.back()) {
    return right;
  }
  const size_t j = std::upper_bound(xp.begin(), xp.end(), x) - xp.begin() - 1;
  if (j == n - 1 || xp[j] == x) {
    return fp[j];
  }
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  double v = slope * (x - xp[j]) + fp[j];
  if (std::isnan(v)) {
    v = slope * (x - xp[j + 1]) + fp[j + 1];
    if (std::isnan(v) && fp[j] == fp[j + 1]) {
      v = fp[j];
    }
  }
  return v;
}

torch::Tensor ApPerClass::ap50() const { return ap.select(1, 0); }
torch::Tensor ApPerClass::ap50_95() const { return ap.mean(1); }

ApPerClass ap_per_class(const torch::Tensor& tp_in, const torch::Tensor& conf_in,
                        const torch::Tensor& pred_cls_in, const torch::Tensor& target_cls_in) {
  TORCH_CHECK(tp_in.dim() == 2 && tp_in.size(0) == conf_in.numel() &&
                  pred_cls_in.numel() == conf_in.numel(),
              "ap_per_class: tp (N,T), conf (N,) and pred_cls (N,) must agree");
  const int64_t n = tp_in.size(0), t = tp_in.size(1);
  // Sort by decreasing confidence (stable; the reference data has no ties that matter).
  auto order = std::get<1>(conf_in.to(torch::kCPU).view(-1).sort(true, 0, true));
  auto tp_sorted = tp_in.to(torch::kCPU).index({order}).to(torch::kDouble).contiguous();
  const std::vector<double> conf = to_doubles(conf_in.to(torch::kCPU).view(-1).index({order}));
  const std::vector<double> pred_cls =
      to_doubles(pred_cls_in.to(torch::kCPU).view(-1).index({order}));
  const double* tp = tp_sorted.data_ptr<double>();

  auto [unique_t, inverse, counts_t] =
      torch::_unique2(target_cls_in.to(torch::kCPU).view(-1), true, false, true);
  const std::vector<double> classes = to_doubles(unique_t);
  const std::vector<double> nt = to_doubles(counts_t);
  const int64_t nc = static_cast<int64_t>(classes.size());

  const std::vector<double> px = linspace(0, 1, kCurvePoints);
  std::vector<double> ap(nc * t, 0.0), p(nc * kCurvePoints, 0.0), r(nc * kCurvePoints, 0.0),
      py(nc * kCurvePoints, 0.0);
  for (int64_t ci = 0; ci < nc; ++ci) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < n; ++i) {
      if (pred_cls[i] == classes[ci]) {
        rows.push_back(i);
      }
    }
    const double n_labels = nt[ci];
    if (rows.empty() || n_labels == 0) {
      continue;
    }
    const size_t np = rows.size();
    std::vector<double> neg_conf(np);
    for (size_t k = 0; k < np; ++k) {
      neg_conf[k] = -conf[rows[k]];
    }
    for (int64_t j = 0; j < t; ++j) {
      std::vector<double> recall(np), precision(np);
      double tpc = 0, fpc = 0;
      for (size_t k = 0; k < np; ++k) {
        const double v = tp[rows[k] * t + j];
        tpc += v;
        fpc += 1 - v;
        recall[k] = tpc / (n_labels + kEps);
        precision[k] = tpc / (tpc + fpc);
      }
      if (j == 0) {
        for (int64_t q = 0; q < kCurvePoints; ++q) {
          r[ci * kCurvePoints + q] = interp(-px[q], neg_conf, recall, 0.0, recall.back());
          p[ci * kCurvePoints + q] = interp(-px[q], neg_conf, precision, 1.0, precision.back());
        }
      }
      ApCurve curve = compute_ap(recall, precision);
      ap[ci * t + j] = curve.ap;
      if (j == 0) {
        for (int64_t q = 0; q < kCurvePoints; ++q) {
          py[ci * kCurvePoints + q] =
              interp(px[q], curve.mrec, curve.mpre, curve.mpre.front(), curve.mpre.back());
        }
      }
    }
  }

  std::vector<double> f1(nc * kCurvePoints), mean_f1(kCurvePoints, 0.0);
  for (int64_t i = 0; i < nc * kCurvePoints; ++i) {
    f1[i] = 2 * p[i] * r[i] / (p[i] + r[i] + kEps);
  }
  // numpy's mean over axis 0: a plain running sum per column, then one division.
  for (int64_t q = 0; q < kCurvePoints; ++q) {
    double s = 0;
    for (int64_t ci = 0; ci < nc; ++ci) {
      s += f1[ci * kCurvePoints + q];
    }
    mean_f1[q] = nc > 0 ? s / static_cast<double>(nc) : 0.0;
  }
  const auto smoothed = smooth(mean_f1, 0.1);
  const int64_t best = std::max_element(smoothed.begin(), smoothed.end()) - smoothed.begin();

  ApPerClass out;
  std::vector<double> pb(nc), rb(nc), fb(nc), tpb(nc), fpb(nc);
  for (int64_t ci = 0; ci < nc; ++ci) {
    pb[ci] = p[ci * kCurvePoints + best];
    rb[ci] = r[ci * kCurvePoints + best];
    fb[ci] = f1[ci * kCurvePoints + best];
    tpb[ci] = std::nearbyint(rb[ci] * nt[ci]);
    fpb[ci] = std::nearbyint(tpb[ci] / (pb[ci] + kEps) - tpb[ci]);
  }
  out.tp = from_doubles(tpb);
  out.fp = from_doubles(fpb);
  out.precision = from_doubles(pb);
  out.recall = from_doubles(rb);
  out.f1 = from_doubles(fb);
  out.ap = from_doubles(ap).view({nc, t});
  out.classes = unique_t.to(torch::kLong);
  out.confidence = from_doubles(px);
  out.precision_curve = from_doubles(p).view({nc, kCurvePoints});
  out.recall_curve = from_doubles(r).view({nc, kCurvePoints});
  out.f1_curve = from_doubles(f1).view({nc, kCurvePoints});
  out.pr_curve = from_doubles(py).view({nc, kCurvePoints});
  return out;
}

DetectionSummary summarize(const ApPerClass& result, const torch::Tensor& target_cls,
                           int64_t num_classes) {
  DetectionSummary s;
  if (result.classes.numel() > 0) {
    s.mp = result.precision.mean().item<double>();
    s.mr = result.recall.mean().item<double>();
    s.map50 = result.ap50().mean().item<double>();
    s.map50_95 = result.ap50_95().mean().item<double>();
  }
  s.labels_per_class = std::vector<int64_t>(num_classes, 0);
  const auto classes = target_cls.to(torch::kCPU).view(-1).to(torch::kLong);
  TORCH_CHECK(classes.numel() == 0 || (classes.min().item<int64_t>() >= 0 &&
                                       classes.max().item<int64_t>() < num_classes),
              "summarize: label classes must be in [0, ", num_classes, ")");
  const auto counts = torch::bincount(classes, {}, num_classes);
  for (int64_t c = 0; c < num_classes; ++c) s.labels_per_class[c] = counts[c].item<int64_t>();
  return s;
}

double fitness(const DetectionSummary& summary) {
  return 0.1 * summary.map50 + 0.9 * summary.map50_95;
}

}  // namespace qyolo::eval
