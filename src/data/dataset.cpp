#include "qyolo/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "qyolo/core/error.h"
#include "qyolo/core/parallel_for_each_index.h"
#include "qyolo/data/augment.h"
#include "qyolo/data/polygon_masks.h"
#include "qyolo/data/thread_budget.h"

namespace qyolo::data {
namespace {

PerspectiveParams perspective_params(const config::Hyp& hyp) {
  return {hyp.degrees, hyp.translate, hyp.scale, hyp.shear, hyp.perspective};
}

torch::Tensor mat_to_tensor(const cv::Mat& mask) {
  cv::Mat contiguous = mask.isContinuous() ? mask : mask.clone();
  const auto dtype = mask.depth() == CV_32S ? torch::kInt32 : torch::kUInt8;
  return torch::from_blob(contiguous.data, {mask.rows, mask.cols}, dtype).clone();
}

// Boxes as closed rectangles, for mask targets of instances that have no polygon.
std::vector<PixelSegment> box_polygons(const Instances& instances) {
  std::vector<PixelSegment> polygons;
  for (const auto& b : instances.boxes) {
    polygons.push_back({{b[0], b[1]}, {b[2], b[1]}, {b[2], b[3]}, {b[0], b[3]}});
  }
  return polygons;
}

}  // namespace

cv::Mat read_image(const std::string& path) {
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(SourceLocation{path}, "cannot read image: " + e.msg);
  }
  if (image.empty()) {
    throw Error(SourceLocation{path}, "cannot read image (missing file or unsupported format)");
  }
  return image;
}

torch::Tensor to_rgb_tensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8)
      .permute({2, 0, 1})
      .contiguous();
}

Dataset::Dataset(std::vector<LabeledImage> images, config::Hyp hyp, DatasetOptions options)
    : images_(std::move(images)),
      hyp_(std::move(hyp)),
      options_(options),
      unreadable_log_(options.strict) {
  // Before the first thread that may use OpenCV: the cache threads below, the loader workers.
  use_single_threaded_opencv();
  if (options_.img_size <= 0 || options_.stride <= 0 || options_.batch_size <= 0 ||
      options_.mask_downsample <= 0) {
    throw UsageError(
        "data set: img_size, stride, batch_size and mask_downsample must be positive (got " +
        std::to_string(options_.img_size) + ", " + std::to_string(options_.stride) + ", " +
        std::to_string(options_.batch_size) + ", " + std::to_string(options_.mask_downsample) +
        ")");
  }
  for (const auto& entry : images_) {
    const auto& l = entry.labels;
    if (l.boxes.size() != l.size() || (!l.segments.empty() && l.segments.size() != l.size())) {
      throw Error(SourceLocation{entry.image_path},
                  "labels are inconsistent: " + std::to_string(l.size()) + " classes, " +
                      std::to_string(l.boxes.size()) + " boxes, " +
                      std::to_string(l.segments.size()) + " segments (expected equal counts)");
    }
  }
  if (options_.rect) compute_batch_shapes();
  if (options_.cache_ram) cache_images();
}

void Dataset::compute_batch_shapes() {
  for (auto& entry : images_) {
    if (entry.width <= 0 || entry.height <= 0) {
      const cv::Mat image = read_image(entry.image_path);
      entry.width = image.cols;
      entry.height = image.rows;
    }
  }
  auto aspect = [](const LabeledImage& e) { return static_cast<double>(e.height) / e.width; };
  std::stable_sort(
      images_.begin(), images_.end(),
      [&](const LabeledImage& a, const LabeledImage& b) { return aspect(a) < aspect(b); });
  const int64_t n = size();
  const int64_t batches = (n + options_.batch_size - 1) / options_.batch_size;
  batch_shapes_.clear();
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t first = b * options_.batch_size;
    const int64_t last = std::min(n, first + options_.batch_size) - 1;
    const double lo = aspect(images_[first]), hi = aspect(images_[last]);
    std::array<double, 2> shape{1.0, 1.0};  // (h, w) relative to img_size
    if (hi < 1) {
      shape = {hi, 1.0};
    } else if (lo > 1) {
      shape = {1.0, 1.0 / lo};
    }
    std::array<int, 2> pixels{};
    for (int k = 0; k < 2; ++k) {
      pixels[k] = static_cast<int>(
                      std::ceil(shape[k] * options_.img_size / options_.stride + options_.pad)) *
                  options_.stride;
    }
    batch_shapes_.push_back(pixels);
  }
}

void Dataset::cache_images() {
  cache_.assign(images_.size(), LoadedImage{});
  std::vector<LoadedImage> decoded(images_.size());
  parallel_for_each_index(size(), options_.cache_threads,
                          [&](int64_t i) { decoded[i] = load_image(i); });
  cache_ = std::move(decoded);
}

LoadedImage Dataset::load_image(int64_t index) const {
  if (!cache_.empty() && !cache_[index].bgr.empty()) return cache_[index];
  LoadedImage out;
  cv::Mat image = read_image(images_.at(index).image_path);
  out.original_hw = {image.rows, image.cols};
  const double r = static_cast<double>(options_.img_size) / std::max(image.rows, image.cols);
  if (r != 1.0) {
    // Bilinear when augmenting or enlarging, area averaging when shrinking for validation.
    const int interpolation = (options_.augment || r > 1) ? cv::INTER_LINEAR : cv::INTER_AREA;
    cv::resize(image, image,
               cv::Size(static_cast<int>(image.cols * r), static_cast<int>(image.rows * r)), 0, 0,
               interpolation);
  }
  out.resized_hw = {image.rows, image.cols};
  out.bgr = image;
  return out;
}

std::pair<int64_t, LoadedImage> Dataset::load_readable_image(int64_t index) const {
  for (int64_t step = 0; step < size(); ++step) {
    const int64_t i = (index + step) % size();
    {
      std::lock_guard<std::mutex> lock(unreadable_mutex_);
      if (unreadable_.count(i) > 0) continue;
    }
    try {
      return {i, load_image(i)};
    } catch (const Error&) {
      std::lock_guard<std::mutex> lock(unreadable_mutex_);
      if (unreadable_.count(i) == 0) {
        std::string why =
            "cannot be read any more (deleted or damaged since the data set was scanned)";
        if (!options_.strict) {
          why += "; its samples use the next readable image (" +
                 std::to_string(unreadable_.size() + 1) + " unreadable so far)";
        }
        // Under strict this throws, and the image stays unmarked so every later use throws too.
        unreadable_log_.image_skipped(SourceLocation{images_[i].image_path}, why);
        unreadable_.insert(i);
      }
    }
  }
  throw Error("none of the " + std::to_string(size()) +
              " images of the data set can be read any more (first: " + images_.front().image_path +
              ")");
}

int Dataset::unreadable_images() const {
  std::lock_guard<std::mutex> lock(unreadable_mutex_);
  return unreadable_log_.counts().images_skipped;
}

std::pair<cv::Mat, Instances> Dataset::load_mosaic(int64_t index, SampleRng& rng) const {
  const int s = options_.img_size;
  const int border = -((s + 1) / 2);  // Python -s // 2 (floor) for any s
  const int yc = static_cast<int>(rng.uniform(-border, 2 * s + border));
  const int xc = static_cast<int>(rng.uniform(-border, 2 * s + border));
  std::vector<int64_t> picks{index};
  for (int k = 0; k < 3; ++k) picks.push_back(rng.uniform_int(0, size() - 1));
  const auto order = rng.permutation(4);

  cv::Mat canvas(2 * s, 2 * s, CV_8UC3, cv::Scalar(114, 114, 114));
  Instances all;
  for (int tile = 0; tile < 4; ++tile) {
    const auto [i, loaded] = load_readable_image(picks[order[tile]]);
    const int h = loaded.resized_hw[0], w = loaded.resized_hw[1];
    int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;  // a: canvas, b: tile image
    if (tile == 0) {                             // top left
      x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
      x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
    } else if (tile == 1) {  // top right
      x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, 2 * s), y2a = yc;
      x1b = 0, y1b = h - (y2a - y1a), x2b = std::min(w, x2a - x1a), y2b = h;
    } else if (tile == 2) {  // bottom left
      x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(2 * s, yc + h);
      x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = std::min(y2a - y1a, h);
    } else {  // bottom right
      x1a = xc, y1a = yc, x2a = std::min(xc + w, 2 * s), y2a = std::min(2 * s, yc + h);
      x1b = 0, y1b = 0, x2b = std::min(w, x2a - x1a), y2b = std::min(y2a - y1a, h);
    }
    if (x2a > x1a && y2a > y1a) {
      loaded.bgr(cv::Rect(x1b, y1b, x2b - x1b, y2b - y1b))
          .copyTo(canvas(cv::Rect(x1a, y1a, x2a - x1a, y2a - y1a)));
    }
    all.append(to_pixels(images_[i].labels, w, h, x1a - x1b, y1a - y1b));
  }
  clamp_coordinates(all, 2.0 * s);
  copy_paste(canvas, all, hyp_.copy_paste, rng);
  cv::Mat warped = random_perspective(canvas, all, perspective_params(hyp_), rng, {border, border});
  return {warped, std::move(all)};
}

Sample Dataset::get(int64_t index, SampleRng& rng) const {
  TORCH_CHECK(index >= 0 && index < size(), "data set index ", index, " out of range ", size());
  Sample sample;
  cv::Mat image;
  Instances instances;
  if (mosaic() && rng.chance(hyp_.mosaic)) {
    sample.path = images_[index].image_path;
    std::tie(image, instances) = load_mosaic(index, rng);
    if (rng.chance(hyp_.mixup)) {
      auto [other, other_instances] = load_mosaic(rng.uniform_int(0, size() - 1), rng);
      mixup(image, instances, other, other_instances, rng);
    }
  } else {
    // A substitute keeps the shape of the batch this index belongs to.
    std::array<int, 2> target{options_.img_size, options_.img_size};
    if (options_.rect) target = batch_shapes_[index / options_.batch_size];
    const auto [used, loaded] = load_readable_image(index);
    sample.path = images_[used].image_path;
    LetterboxOptions lb;
    lb.auto_pad = false;
    lb.scaleup = options_.augment;
    Letterboxed boxed = letterbox(loaded.bgr, target, lb);
    const int h = loaded.resized_hw[0], w = loaded.resized_hw[1];
    const auto& r = boxed.placement.ratio;
    const auto& pad = boxed.placement.pad;
    ImageShapes shapes;
    shapes.original_hw = loaded.original_hw;
    shapes.placement.ratio = {r[1] * h / loaded.original_hw[0], r[0] * w / loaded.original_hw[1]};
    shapes.placement.pad = pad;
    sample.shapes = shapes;
    instances = to_pixels(images_[used].labels, r[0] * w, r[1] * h, pad[0], pad[1]);
    image = boxed.image;
    if (options_.augment) {
      image = random_perspective(image, instances, perspective_params(hyp_), rng);
    }
  }

  const int out_h = image.rows, out_w = image.cols;
  auto boxes = to_normalised_xywh(instances, out_w, out_h);
  std::vector<int> cls = instances.cls;
  std::vector<cv::Mat> masks;
  if (options_.masks != MaskFormat::kNone) {
    const auto polygons = instances.has_segments() ? instances.segments : box_polygons(instances);
    if (options_.masks == MaskFormat::kOverlap) {
      auto overlap = polygon_masks_overlap(image.size(), polygons, options_.mask_downsample);
      std::vector<std::array<float, 4>> sorted_boxes;
      std::vector<int> sorted_cls;
      for (size_t k : overlap.order) {
        sorted_boxes.push_back(boxes[k]);
        sorted_cls.push_back(cls[k]);
      }
      boxes = std::move(sorted_boxes);
      cls = std::move(sorted_cls);
      // uint8 labels unless there are more instances than uint8 can number.
      if (overlap.order.size() <= 255) overlap.mask.convertTo(overlap.mask, CV_8U);
      masks.push_back(overlap.mask);
    } else {
      masks = polygon_masks(image.size(), polygons, options_.mask_downsample);
    }
  }

  if (options_.augment) {
    augment_hsv(image, hyp_.hsv_h, hyp_.hsv_s, hyp_.hsv_v, rng);
    if (rng.chance(hyp_.flipud)) {
      cv::flip(image, image, 0);
      for (auto& b : boxes) b[1] = 1 - b[1];
      for (auto& m : masks) cv::flip(m, m, 0);
    }
    if (rng.chance(hyp_.fliplr)) {
      cv::flip(image, image, 1);
      for (auto& b : boxes) b[0] = 1 - b[0];
      for (auto& m : masks) cv::flip(m, m, 1);
    }
  }

  const int64_t n = static_cast<int64_t>(boxes.size());
  sample.labels = torch::zeros({n, 6}, torch::kFloat32);
  auto acc = sample.labels.accessor<float, 2>();
  for (int64_t k = 0; k < n; ++k) {
    acc[k][1] = static_cast<float>(cls[k]);
    for (int c = 0; c < 4; ++c) acc[k][2 + c] = boxes[k][c];
  }
  sample.mask_format = options_.masks;
  if (options_.masks != MaskFormat::kNone) {
    const int64_t mh = out_h / options_.mask_downsample, mw = out_w / options_.mask_downsample;
    if (masks.empty()) {
      const int64_t count = options_.masks == MaskFormat::kOverlap ? 1 : 0;
      sample.masks = torch::zeros({count, mh, mw}, torch::kUInt8);
    } else {
      std::vector<torch::Tensor> planes;
      for (const auto& m : masks) planes.push_back(mat_to_tensor(m));
      sample.masks = torch::stack(planes);
    }
  }
  sample.image = to_rgb_tensor(image);
  return sample;
}

}  // namespace qyolo::data
