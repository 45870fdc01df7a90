#include "qyolo/data/plot_batch.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "qyolo/core/class_colors.h"
#include "qyolo/core/error.h"

namespace qyolo::data {
namespace {

// Mask of one instance (target `row`, the `rank_in_image`-th of its image), upsampled to the
// tile size, as CV_8U {0, 1}.
cv::Mat instance_mask(const Batch& batch, int64_t image, int64_t row, int64_t rank_in_image,
                      cv::Size tile) {
  const torch::Tensor m =
      (batch.mask_format == MaskFormat::kOverlap ? batch.masks[image].eq(rank_in_image + 1)
                                                 : batch.masks[row].gt(0))
          .to(torch::kCPU, torch::kUInt8)
          .contiguous();
  cv::Mat small(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_8U, m.data_ptr());
  cv::Mat full;
  cv::resize(small, full, tile, 0, 0, cv::INTER_NEAREST);
  return full;
}

}  // namespace

cv::Mat plot_batch(const Batch& batch, const std::vector<std::string>& names,
                   const BatchPlotOptions& options) {
  TORCH_CHECK(batch.images.defined() && batch.images.dim() == 4, "plot_batch: no images");
  const int64_t count = std::min<int64_t>(batch.images.size(0), options.max_subplots);
  const int grid = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
  const int h = static_cast<int>(batch.images.size(2)), w = static_cast<int>(batch.images.size(3));
  const double scale = std::min(1.0, static_cast<double>(options.max_size) / grid / std::max(h, w));
  const int th = static_cast<int>(std::ceil(h * scale)),
            tw = static_cast<int>(std::ceil(w * scale));
  cv::Mat canvas(grid * th, grid * tw, CV_8UC3, cv::Scalar(255, 255, 255));
  const double font = std::max(0.35, (th + tw) / 900.0);
  const int thickness = std::max(1, static_cast<int>(std::round(font * 2)));
  const torch::Tensor targets = batch.targets.to(torch::kCPU);
  const torch::Tensor images = batch.images.to(torch::kCPU);

  for (int64_t i = 0; i < count; ++i) {
    const torch::Tensor hwc = images[i].permute({1, 2, 0}).contiguous();
    cv::Mat rgb(h, w, CV_8UC3, hwc.data_ptr()), tile;
    cv::cvtColor(rgb, tile, cv::COLOR_RGB2BGR);
    if (scale < 1.0) cv::resize(tile, tile, cv::Size(tw, th), 0, 0, cv::INTER_AREA);
    const int x0 = static_cast<int>(i % grid) * tw, y0 = static_cast<int>(i / grid) * th;

    int64_t rank = 0;
    for (int64_t row = 0; row < targets.size(0); ++row) {
      if (static_cast<int64_t>(targets[row][0].item<float>()) != i) continue;
      const bool prediction = targets.size(1) > 6;
      const double conf = prediction ? targets[row][6].item<double>() : 1.0;
      if (prediction && conf < options.conf_threshold) continue;
      const int cls = static_cast<int>(targets[row][1].item<float>());
      const Bgr bgr = class_color(cls);
      const cv::Scalar colour(bgr.b, bgr.g, bgr.r);
      if (batch.masks.defined()) {
        const cv::Mat mask = instance_mask(batch, i, row, rank, tile.size());
        cv::Mat tinted(tile.size(), CV_8UC3, colour), blended;
        cv::addWeighted(tile, 1 - options.mask_alpha, tinted, options.mask_alpha, 0, blended);
        blended.copyTo(tile, mask);
      }
      const float cx = targets[row][2].item<float>() * tw, cy = targets[row][3].item<float>() * th;
      const float bw = targets[row][4].item<float>() * tw, bh = targets[row][5].item<float>() * th;
      const cv::Point p1(static_cast<int>(cx - bw / 2), static_cast<int>(cy - bh / 2));
      const cv::Point p2(static_cast<int>(cx + bw / 2), static_cast<int>(cy + bh / 2));
      cv::rectangle(tile, p1, p2, colour, thickness);
      std::string label =
          cls >= 0 && cls < static_cast<int>(names.size()) ? names[cls] : std::to_string(cls);
      if (prediction) label += " " + std::to_string(conf).substr(0, 4);
      int baseline = 0;
      const cv::Size text = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
      const cv::Point origin(p1.x, std::max(text.height + 2, p1.y - 2));
      cv::rectangle(tile, origin + cv::Point(0, baseline),
                    origin + cv::Point(text.width, -text.height - 2), colour, cv::FILLED);
      cv::putText(tile, label, origin, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(255, 255, 255), 1,
                  cv::LINE_AA);
      ++rank;
    }
    if (i < static_cast<int64_t>(batch.paths.size())) {
      const std::string file = std::filesystem::path(batch.paths[i]).filename().string();
      cv::putText(tile, file.substr(0, 40), cv::Point(4, th - 6), cv::FONT_HERSHEY_SIMPLEX, font,
                  cv::Scalar(220, 220, 220), 1, cv::LINE_AA);
    }
    cv::rectangle(tile, cv::Point(0, 0), cv::Point(tw - 1, th - 1), cv::Scalar(255, 255, 255), 2);
    tile.copyTo(canvas(cv::Rect(x0, y0, tw, th)));
  }
  return canvas;
}

void save_batch_plot(const Batch& batch, const std::vector<std::string>& names,
                     const std::filesystem::path& path, const BatchPlotOptions& options) {
  const cv::Mat picture = plot_batch(batch, names, options);
  if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path());
  if (!cv::imwrite(path.string(), picture)) {
    throw Error(SourceLocation{path.string()}, "cannot write the batch plot");
  }
}

}  // namespace qyolo::data
