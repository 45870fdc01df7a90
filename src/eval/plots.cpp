#include "qyolo/eval/plots.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "chart.h"
#include "csv_table.h"
#include "qyolo/core/checkpoint.h"
#include "qyolo/core/class_colors.h"
#include "qyolo/core/error.h"

namespace qyolo::eval {

namespace {

const cv::Scalar kWhite(255, 255, 255), kBlack(0, 0, 0), kBlue(180, 119, 31), kGrey(160, 160, 160);
constexpr int kMaxLegendClasses = 21;

std::vector<double> row(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// Encoded in memory and written atomically: a failed write (full disk, killed process) leaves
// the previous plot, never a truncated one.
void write_png(const cv::Mat& image, const std::filesystem::path& file) {
  std::vector<uchar> encoded;
  if (!cv::imencode(".png", image, encoded)) {
    throw Error(SourceLocation{file.string()}, "cannot encode the plot image");
  }
  write_file_atomic(file, std::string(encoded.begin(), encoded.end()));
}

// The box filter of ultralytics' smooth(y, f) (edge-padded moving average).
std::vector<double> box_smooth(const std::vector<double>& y, double f) {
  if (y.empty()) {
    return y;
  }
  const int64_t nf = static_cast<int64_t>(std::nearbyint(y.size() * f * 2)) / 2 + 1;
  const int64_t half = nf / 2, n = static_cast<int64_t>(y.size());
  std::vector<double> out(y.size());
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t k = -half; k <= half; ++k) {
      s += y[std::clamp<int64_t>(i + k, 0, n - 1)];
    }
    out[i] = s / nf;
  }
  return out;
}

// Gaussian smoothing (sigma in samples, reflected edges) for the results curves.
std::vector<double> gaussian_smooth(const std::vector<double>& y, double sigma) {
  const int64_t n = static_cast<int64_t>(y.size()), radius = static_cast<int64_t>(4 * sigma + 0.5);
  std::vector<double> out(y.size());
  for (int64_t i = 0; i < n; ++i) {
    double s = 0, wsum = 0;
    for (int64_t k = -radius; k <= radius; ++k) {
      int64_t j = i + k;
      if (n > 1) {
        while (j < 0 || j >= n) {
          j = j < 0 ? -j - 1 : 2 * n - j - 1;
        }
      } else {
        j = 0;
      }
      const double w = std::exp(-0.5 * k * k / (sigma * sigma));
      s += w * y[j];
      wsum += w;
    }
    out[i] = s / wsum;
  }
  return out;
}

cv::Scalar class_scalar(int64_t cls) {
  const Bgr color = class_color(cls);
  return {static_cast<double>(color.b), static_cast<double>(color.g), static_cast<double>(color.r)};
}

}  // namespace

std::string class_name(const std::vector<std::string>& names, int64_t cls) {
  return cls >= 0 && cls < static_cast<int64_t>(names.size()) ? names[cls] : std::to_string(cls);
}

void plot_pr_curve(const ApPerClass& result, const std::vector<std::string>& names,
                   const std::filesystem::path& file) {
  cv::Mat canvas(900, 1350, CV_8UC3, kWhite);
  Chart chart(canvas, {0, 0, canvas.cols, canvas.rows}, 0, 1, 0, 1, 330);
  chart.axes("Precision-Recall Curve", "Recall", "Precision");
  const auto px = row(result.confidence);
  const int64_t nc = result.pr_curve.size(0);
  const bool legend = nc > 0 && nc < kMaxLegendClasses;
  std::vector<double> mean(px.size(), 0.0);
  for (int64_t c = 0; c < nc; ++c) {
    const auto y = row(result.pr_curve[c]);
    for (size_t i = 0; i < y.size(); ++i) {
      mean[i] += y[i] / nc;
    }
    const int64_t cls = result.classes[c].item<int64_t>();
    const cv::Scalar color = legend ? class_scalar(cls) : kGrey;
    chart.line(px, y, color, 1);
    if (legend) {
      chart.legend_entry(class_name(names, cls) + " " + fixed(result.ap[c][0].item<double>(), 3),
                         color);
    }
  }
  const double map50 = nc ? result.ap50().mean().item<double>() : 0.0;
  chart.line(px, mean, kBlue, 3);
  chart.legend_entry("all classes " + fixed(map50, 3) + " mAP@0.5", kBlue, 3);
  write_png(canvas, file);
}

void plot_metric_curve(const torch::Tensor& confidence, const torch::Tensor& curves,
                       const std::vector<int64_t>& classes, const std::vector<std::string>& names,
                       const std::string& ylabel, const std::filesystem::path& file) {
  cv::Mat canvas(900, 1350, CV_8UC3, kWhite);
  Chart chart(canvas, {0, 0, canvas.cols, canvas.rows}, 0, 1, 0, 1, 330);
  chart.axes(ylabel + "-Confidence Curve", "Confidence", ylabel);
  const auto px = row(confidence);
  const int64_t nc = curves.size(0);
  const bool legend = nc > 0 && nc < kMaxLegendClasses;
  for (int64_t c = 0; c < nc; ++c) {
    const int64_t cls = c < static_cast<int64_t>(classes.size()) ? classes[c] : c;
    const cv::Scalar color = legend ? class_scalar(cls) : kGrey;
    chart.line(px, row(curves[c]), color, 1);
    if (legend) {
      chart.legend_entry(class_name(names, cls), color);
    }
  }
  if (nc > 0) {
    const auto mean = box_smooth(row(curves.mean(0)), 0.05);
    const size_t best = std::max_element(mean.begin(), mean.end()) - mean.begin();
    chart.line(px, mean, kBlue, 3);
    chart.legend_entry("all classes " + fixed(mean[best], 2) + " at " + fixed(px[best], 3), kBlue,
                       3);
  }
  write_png(canvas, file);
}

void plot_ap_curves(const ApPerClass& result, const std::vector<std::string>& names,
                    const std::filesystem::path& dir, const std::string& prefix) {
  const auto cls_t = result.classes.to(torch::kCPU).contiguous();
  const std::vector<int64_t> classes(cls_t.data_ptr<int64_t>(),
                                     cls_t.data_ptr<int64_t>() + cls_t.numel());
  plot_pr_curve(result, names, dir / (prefix + "PR_curve.png"));
  plot_metric_curve(result.confidence, result.f1_curve, classes, names, "F1",
                    dir / (prefix + "F1_curve.png"));
  plot_metric_curve(result.confidence, result.precision_curve, classes, names, "Precision",
                    dir / (prefix + "P_curve.png"));
  plot_metric_curve(result.confidence, result.recall_curve, classes, names, "Recall",
                    dir / (prefix + "R_curve.png"));
}

void plot_confusion_matrix(const ConfusionMatrix& matrix, const std::vector<std::string>& names,
                           const std::filesystem::path& file, bool normalize) {
  const auto values = (normalize ? matrix.normalized() : matrix.matrix()).contiguous();
  const int64_t n = values.size(0), nc = matrix.num_classes();
  const bool labelled = nc > 0 && nc < 99 && static_cast<int64_t>(names.size()) == nc;
  const int cell = static_cast<int>(std::clamp<int64_t>(900 / n, 6, 80));
  const int left = 170, top = 70, right = 120, bottom = 170;
  cv::Mat canvas(top + cell * n + bottom, left + cell * n + right, CV_8UC3, kWhite);
  put_text(canvas, "Confusion Matrix", {left, 20}, 0.7, kBlack, 2);
  const double vmax = std::max(values.max().item<double>(), 1e-9);
  auto a = values.accessor<double, 2>();
  // Matplotlib's "Blues" end points, interpolated linearly.
  auto blues = [](double t) {
    const cv::Scalar lo(255, 251, 247), hi(107, 48, 8);
    return lo + (hi - lo) * t;
  };
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      const double v = a[r][c];
      const cv::Rect box(left + c * cell, top + r * cell, cell, cell);
      if (v < 0.005 && normalize) {
        continue;  // blank, as the reference leaves near-zero cells
      }
      const double t = std::clamp(v / vmax, 0.0, 1.0);
      cv::rectangle(canvas, box, blues(t), cv::FILLED);
      if (nc < 30) {
        const std::string text = normalize ? fixed(v, 2) : fixed(v, 0);
        put_text(canvas, text, {box.x + cell / 2 - 14, box.y + cell / 2 - 6}, 0.4,
                 t > 0.5 ? kWhite : kBlack);
      }
    }
  }
  cv::rectangle(canvas, cv::Rect(left, top, cell * n, cell * n), kBlack, 1);
  auto label = [&](int64_t i) {
    return i == nc ? std::string("background") : (labelled ? names[i] : std::to_string(i));
  };
  const int step = static_cast<int>(std::max<int64_t>(1, n / 40));
  for (int64_t i = 0; i < n; i += step) {
    put_text(canvas, label(i), {5, top + static_cast<int>(i) * cell + cell / 2 - 6}, 0.4, kBlack);
    // Column labels written vertically.
    int baseline = 0;
    const auto text = label(i);
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.4, 1, &baseline);
    cv::Mat patch(size.height + baseline + 2, size.width + 2, CV_8UC3, kWhite);
    put_text(patch, text, {1, 1}, 0.4, kBlack);
    cv::Mat rotated;
    cv::rotate(patch, rotated, cv::ROTATE_90_CLOCKWISE);
    const int x = left + static_cast<int>(i) * cell + cell / 2 - rotated.cols / 2;
    const int y = top + static_cast<int>(n) * cell + 5;
    const cv::Rect dst(x, y, rotated.cols, std::min(rotated.rows, canvas.rows - y - 1));
    if (dst.x >= 0 && dst.x + dst.width <= canvas.cols && dst.height > 0) {
      rotated(cv::Rect(0, 0, dst.width, dst.height)).copyTo(canvas(dst));
    }
  }
  put_text(canvas, "True", {left + static_cast<int>(n) * cell / 2, canvas.rows - 30}, 0.55, kBlack);
  put_text(canvas, "Predicted", {left + static_cast<int>(n) * cell + 10, top - 25}, 0.55, kBlack);
  write_png(canvas, file);
}

void plot_results(const std::filesystem::path& results_csv, const std::filesystem::path& file) {
  const CsvTable table = read_csv(results_csv);
  const auto& header = table.header;
  if (header.size() < 2 || table.rows.empty()) {
    throw Error(SourceLocation{results_csv.string()},
                "expected a header (epoch, metrics...) and at least one row");
  }
  std::vector<std::vector<double>> columns(header.size());
  for (size_t r = 0; r < table.rows.size(); ++r)
    for (size_t c = 0; c < header.size(); ++c) columns[c].push_back(table.number(r, c));
  const int panels = static_cast<int>(header.size()) - 1;
  const int grid_cols = (panels + 1) / 2, grid_rows = panels > 1 ? 2 : 1;
  const int pw = 360, ph = 300;
  cv::Mat canvas(grid_rows * ph, grid_cols * pw, CV_8UC3, kWhite);
  const auto& x = columns[0];
  for (int p = 0; p < panels; ++p) {
    const auto& y = columns[p + 1];
    const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
    const double pad = (*hi - *lo) * 0.05 + 1e-12;
    Chart chart(canvas, {(p % grid_cols) * pw, (p / grid_cols) * ph, pw, ph}, x.front(),
                x.back() > x.front() ? x.back() : x.front() + 1, *lo - pad, *hi + pad);
    chart.axes(header[p + 1], "", "");
    chart.line(x, y, kBlue, 2, false, true);
    if (y.size() > 1) {
      chart.line(x, gaussian_smooth(y, 3), cv::Scalar(14, 127, 255), 2, true);
    }
  }
  write_png(canvas, file);
}

void draw_detections(cv::Mat& image, const torch::Tensor& detections,
                     const std::vector<std::string>& names, const torch::Tensor& masks,
                     double mask_alpha, bool show_conf) {
  TORCH_CHECK(image.type() == CV_8UC3, "draw_detections: expects a BGR uint8 image");
  auto dets = detections.to(torch::kCPU, torch::kFloat).contiguous();
  const int64_t n = dets.size(0);
  if (masks.defined() && masks.numel() > 0) {
    auto m = masks.to(torch::kCPU, torch::kUInt8).contiguous();
    TORCH_CHECK(m.size(0) == n && m.size(1) == image.rows && m.size(2) == image.cols,
                "draw_detections: masks must be (n, image height, image width)");
    for (int64_t i = 0; i < n; ++i) {
      cv::Mat mask(image.rows, image.cols, CV_8UC1, m[i].data_ptr<uint8_t>());
      cv::Mat colored(image.size(), CV_8UC3,
                      class_scalar(static_cast<int64_t>(dets[i][5].item<float>())));
      cv::Mat blended;
      cv::addWeighted(image, 1 - mask_alpha, colored, mask_alpha, 0, blended);
      blended.copyTo(image, mask);
    }
  }
  const int lw =
      std::max(static_cast<int>(std::lround((image.rows + image.cols) / 2.0 * 0.003)), 2);
  const double font_scale = lw / 3.0;
  const int tf = std::max(lw - 1, 1);
  auto a = dets.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t cls = static_cast<int64_t>(a[i][5]);
    const cv::Scalar color = class_scalar(cls);
    const cv::Point p1(static_cast<int>(a[i][0]), static_cast<int>(a[i][1]));
    const cv::Point p2(static_cast<int>(a[i][2]), static_cast<int>(a[i][3]));
    cv::rectangle(image, p1, p2, color, lw, cv::LINE_AA);
    std::string label = class_name(names, cls);
    if (show_conf) {
      label += " " + fixed(a[i][4], 2);
    }
    int baseline = 0;
    const cv::Size size =
        cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font_scale, tf, &baseline);
    const bool outside = p1.y - size.height >= 3;
    const cv::Point q2(p1.x + size.width,
                       outside ? p1.y - size.height - 3 : p1.y + size.height + 3);
    cv::rectangle(image, p1, q2, color, cv::FILLED, cv::LINE_AA);
    cv::putText(image, label, {p1.x, outside ? p1.y - 2 : p1.y + size.height + 2},
                cv::FONT_HERSHEY_SIMPLEX, font_scale, kWhite, tf, cv::LINE_AA);
  }
}

void plot_oscillation(const std::filesystem::path& oscillation_csv,
                      const std::filesystem::path& file) {
  const CsvTable table = read_csv(oscillation_csv);
  const size_t c_epoch = table.column("epoch"), c_path = table.column("path"),
               c_fraction = table.column("oscillating_fraction"),
               c_weights = table.column("weights");
  if (table.rows.empty()) {
    throw Error(SourceLocation{oscillation_csv.string()}, "has no rows to plot");
  }
  // Per layer: its fraction per epoch; overall: the weight-weighted mean per epoch.
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> layers;
  std::map<double, std::pair<double, double>> overall;  // epoch -> (Σ fraction·n, Σ n)
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const double epoch = table.number(r, c_epoch), fraction = table.number(r, c_fraction);
    const double weights = table.number(r, c_weights);
    auto& layer = layers[table.rows[r][c_path]];
    layer.first.push_back(epoch);
    layer.second.push_back(100 * fraction);
    overall[epoch].first += fraction * weights;
    overall[epoch].second += weights;
  }
  std::vector<double> x, y;
  for (const auto& [epoch, sums] : overall) {
    x.push_back(epoch);
    y.push_back(sums.second > 0 ? 100 * sums.first / sums.second : 0);
  }
  double top = 0;
  for (const auto& [path, series] : layers)
    top = std::max(top, *std::max_element(series.second.begin(), series.second.end()));
  const double x1 = x.back() > x.front() ? x.back() : x.front() + 1;
  cv::Mat canvas(600, 900, CV_8UC3, kWhite);
  Chart chart(canvas, {0, 0, 900, 600}, x.front(), x1, 0, std::max(top * 1.05, 1e-3), 220);
  chart.axes("Oscillating weights (flip frequency above threshold)", "epoch", "% of weights");
  for (const auto& [path, series] : layers) chart.line(series.first, series.second, kGrey, 1);
  chart.line(x, y, kBlue, 3, false, true);
  chart.legend_entry("each quantized layer", kGrey, 1);
  chart.legend_entry("all layers " + fixed(y.back(), 2) + "%", kBlue, 3);
  write_png(canvas, file);
}

void plot_latent_vs_ema(const std::filesystem::path& results_csv,
                        const std::filesystem::path& file) {
  const CsvTable table = read_csv(results_csv);
  if (table.rows.empty()) throw Error(SourceLocation{results_csv.string()}, "has no rows to plot");
  const size_t c_epoch = table.column("epoch");
  struct Series {
    const char* column;
    std::string label;
    cv::Scalar color;
    int thickness;
  };
  const cv::Scalar orange(14, 127, 255);
  const std::vector<Series> series = {
      {"metrics/mAP_0.5:0.95", "EMA mAP@0.5:0.95", kBlue, 3},
      {"metrics/mAP_0.5:0.95(latent)", "latent mAP@0.5:0.95", orange, 3},
      {"metrics/mAP_0.5", "EMA mAP@0.5", kBlue, 1},
      {"metrics/mAP_0.5(latent)", "latent mAP@0.5", orange, 1}};
  std::vector<size_t> columns;
  for (const auto& s : series) columns.push_back(table.column(s.column));
  std::vector<double> epochs;
  std::vector<std::vector<double>> values(series.size());
  double top = 0;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    epochs.push_back(table.number(r, c_epoch));
    for (size_t k = 0; k < series.size(); ++k) {
      values[k].push_back(table.number(r, columns[k]));
      top = std::max(top, values[k].back());
    }
  }
  const double x1 = epochs.back() > epochs.front() ? epochs.back() : epochs.front() + 1;
  cv::Mat canvas(600, 900, CV_8UC3, kWhite);
  Chart chart(canvas, {0, 0, 900, 600}, epochs.front(), x1, 0, std::max(top * 1.05, 1e-3), 260);
  chart.axes("Latent weights vs their EMA, validated every epoch", "epoch", "mAP");
  for (size_t k = 0; k < series.size(); ++k) {
    chart.line(epochs, values[k], series[k].color, series[k].thickness, false, true);
    chart.legend_entry(series[k].label + " " + fixed(values[k].back(), 3), series[k].color,
                       series[k].thickness);
  }
  write_png(canvas, file);
}

}  // namespace qyolo::eval
