#include "qyolo/data/fashiondet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "qyolo/core/parallel_for_each_index.h"
#include "qyolo/data/coco.h"
#include "qyolo/data/idx.h"
#include "qyolo/data/labels.h"
#include "qyolo/data/mask_polygon.h"
#include "qyolo/data/yolo_dataset.h"

namespace qyolo::data {
namespace fs = std::filesystem;
namespace {

constexpr int kItemSide = 28;          // Fashion-MNIST images are 28 x 28
constexpr int kMaskThreshold = 24;     // item pixels: intensity above ~10% of full scale
constexpr int kMinVisiblePixels = 24;  // items hidden more than this are not labelled
constexpr int kPlacementTries = 30;

// SplitMix64 with distributions written out here, so that files are identical on every
// platform and standard library (std:: distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  Rng(uint64_t seed, uint64_t stream, uint64_t index)
      : state_(Rng(Rng(seed ^ 0x5851f42d4c957f2dULL).next() ^ stream).next() ^ index) {
    next();
  }

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  int integer(int low, int high) {  // [low, high]
    return low + static_cast<int>(next() % static_cast<uint64_t>(high - low + 1));
  }

 private:
  uint64_t state_;
};

struct SourceItems {
  IdxArray images;
  IdxArray labels;
};

SourceItems load_source(const fs::path& folder, const std::string& split) {
  const fs::path images = folder / (split + "-images-idx3-ubyte.gz");
  const fs::path labels = folder / (split + "-labels-idx1-ubyte.gz");
  for (const fs::path& file : {images, labels}) {
    if (!fs::exists(file)) {
      throw Error(SourceLocation{file.string()},
                  "Fashion-MNIST file not found; install it with `apt-get install "
                  "dataset-fashion-mnist` or pass the folder holding the *-ubyte.gz files");
    }
  }
  SourceItems items{read_idx(images), read_idx(labels)};
  if (items.images.dims.size() != 3 || items.images.dims[1] != kItemSide ||
      items.images.dims[2] != kItemSide || items.labels.count() != items.images.count()) {
    throw Error(SourceLocation{images.string()},
                "expected N x 28 x 28 images with N labels (Fashion-MNIST)");
  }
  return items;
}

cv::Vec3f hsv_to_bgr(double h, double s, double v) {  // h in [0, 6)
  const double c = v * s;
  const double x = c * (1.0 - std::abs(std::fmod(h, 2.0) - 1.0));
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0:
      r = c, g = x;
      break;
    case 1:
      r = x, g = c;
      break;
    case 2:
      g = c, b = x;
      break;
    case 3:
      g = x, b = c;
      break;
    case 4:
      r = x, b = c;
      break;
    default:
      r = c, b = x;
      break;
  }
  const double m = v - c;
  return {static_cast<float>(b + m), static_cast<float>(g + m), static_cast<float>(r + m)};
}

// A textured background in [0, 1]: smooth colour blobs (a coarse random grid upsampled
// bicubically), optional stripes at a random angle and frequency.
cv::Mat3f make_background(int side, Rng& rng, double& mean_value) {
  const int cells = rng.integer(2, 9);
  cv::Mat3f grid(cells, cells);
  const double base_hue = rng.uniform(0.0, 6.0);
  mean_value = rng.uniform(0.15, 0.85);
  const double saturation = rng.uniform(0.0, 0.6);
  for (int y = 0; y < cells; ++y) {
    for (int x = 0; x < cells; ++x) {
      const double hue = std::fmod(base_hue + rng.uniform(-0.6, 0.6) + 6.0, 6.0);
      const double value = std::clamp(mean_value + rng.uniform(-0.15, 0.15), 0.0, 1.0);
      grid(y, x) = hsv_to_bgr(hue, saturation, value);
    }
  }
  cv::Mat3f background;
  cv::resize(grid, background, cv::Size(side, side), 0, 0, cv::INTER_CUBIC);
  if (rng.uniform() < 0.6) {
    const double angle = rng.uniform(0.0, M_PI);
    const double period = rng.uniform(4.0, 40.0);
    const double amplitude = rng.uniform(0.03, 0.12);
    const double kx = std::cos(angle) * 2.0 * M_PI / period;
    const double ky = std::sin(angle) * 2.0 * M_PI / period;
    const bool checker = rng.uniform() < 0.3;
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        double wave = std::sin(kx * x + ky * y);
        if (checker) wave *= std::sin(ky * x - kx * y);
        background(y, x) += cv::Vec3f::all(static_cast<float>(amplitude * wave));
      }
    }
  }
  return background;
}

struct PlacedItem {
  int cls = 0;
  cv::Rect rect;   // in image coordinates, may extend past the border
  cv::Mat1b mask;  // rect-sized item mask
};

double covered_share(const cv::Rect& placed, const cv::Rect& other) {
  return static_cast<double>((placed & other).area()) / std::max(1, placed.area());
}

struct ComposedImage {
  cv::Mat image;  // CV_8UC3
  ImageLabels labels;
};

ComposedImage compose(const SourceItems& source, const FashionDetOptions& o, Rng& rng) {
  const int side = o.img;
  double background_value = 0.5;
  cv::Mat3f canvas = make_background(side, rng, background_value);
  std::vector<PlacedItem> placed;
  const int count = rng.integer(o.min_items, o.max_items);
  for (int k = 0; k < count; ++k) {
    const int64_t index =
        static_cast<int64_t>(rng.next() % static_cast<uint64_t>(source.images.count()));
    const double scale = std::exp(rng.uniform(std::log(o.min_scale), std::log(o.max_scale)));
    const double aspect = rng.uniform(0.85, 1.15);
    const int w = std::max(8, static_cast<int>(std::lround(kItemSide * scale * aspect)));
    const int h = std::max(8, static_cast<int>(std::lround(kItemSide * scale / aspect)));
    // At least ~60% of the item stays inside the image; the rest may be cut by the border.
    cv::Rect rect;
    bool fits = false;
    for (int attempt = 0; attempt < kPlacementTries && !fits; ++attempt) {
      rect = cv::Rect(rng.integer(-w * 2 / 5, side - w * 3 / 5),
                      rng.integer(-h * 2 / 5, side - h * 3 / 5), w, h);
      fits = std::all_of(placed.begin(), placed.end(), [&](const PlacedItem& p) {
        return covered_share(p.rect, rect) <= o.max_overlap &&
               covered_share(rect, p.rect) <= o.max_overlap;
      });
    }
    if (!fits) continue;

    const cv::Mat1b pixels(kItemSide, kItemSide, const_cast<uint8_t*>(source.images.item(index)));
    cv::Mat1b resized;
    cv::resize(pixels, resized, cv::Size(w, h), 0, 0,
               w > kItemSide ? cv::INTER_CUBIC : cv::INTER_AREA);
    PlacedItem item{static_cast<int>(source.labels.data[static_cast<size_t>(index)]), rect,
                    resized > kMaskThreshold};

    // Tint with enough contrast to the background; shading keeps the item's own texture.
    const double value = background_value > 0.5 ? rng.uniform(0.05, background_value - 0.3)
                                                : rng.uniform(background_value + 0.3, 1.0);
    const cv::Vec3f tint = hsv_to_bgr(rng.uniform(0.0, 6.0), rng.uniform(0.1, 0.9), value);
    const cv::Rect inside = rect & cv::Rect(0, 0, side, side);
    for (int y = inside.y; y < inside.br().y; ++y) {
      for (int x = inside.x; x < inside.br().x; ++x) {
        const float intensity = resized(y - rect.y, x - rect.x) / 255.0f;
        const float alpha = std::min(1.0f, intensity * 4.0f);  // soft anti-aliased edge
        const float shade = 0.45f + 0.55f * intensity;
        canvas(y, x) = canvas(y, x) * (1.0f - alpha) + tint * (alpha * shade);
      }
    }
    placed.push_back(std::move(item));
  }

  // Sensor-like noise: uniform sum of two draws (triangular), cheap and deterministic.
  const double sigma = rng.uniform(0.01, 0.05);
  ComposedImage out;
  out.image.create(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const uint64_t bits = rng.next();
      for (int c = 0; c < 3; ++c) {
        const double noise =
            (((bits >> (16 * c)) & 0xff) + ((bits >> (16 * c + 8)) & 0xff) - 255.0) / 255.0;
        const double v = canvas(y, x)[c] + sigma * 2.0 * noise;
        out.image.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(v * 255.0);
      }
    }
  }

  // Labels from what stays visible: later items hide earlier ones, the border cuts them.
  const cv::Rect frame(0, 0, side, side);
  for (size_t i = 0; i < placed.size(); ++i) {
    cv::Mat1b visible(side, side, uint8_t{0});
    const cv::Rect inside = placed[i].rect & frame;
    placed[i].mask(inside - placed[i].rect.tl()).copyTo(visible(inside));
    for (size_t j = i + 1; j < placed.size(); ++j) {
      const cv::Rect hidden = placed[j].rect & frame;
      cv::Mat1b cover = visible(hidden);
      cover.setTo(0, placed[j].mask(hidden - placed[j].rect.tl()));
    }
    if (cv::countNonZero(visible) < kMinVisiblePixels) continue;
    const cv::Rect box = cv::boundingRect(visible);
    cv::Mat1b closed;
    cv::morphologyEx(visible, closed, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
    const std::vector<cv::Point> polygon = mask_to_polygon(closed, 1.0);
    if (polygon.size() < 3) continue;
    Segment segment;
    for (const cv::Point& p : polygon) {
      segment.push_back({static_cast<float>(p.x) / side, static_cast<float>(p.y) / side});
    }
    out.labels.cls.push_back(placed[i].cls);
    out.labels.boxes.push_back(
        {(box.x + box.width / 2.0f) / side, (box.y + box.height / 2.0f) / side,
         static_cast<float>(box.width) / side, static_cast<float>(box.height) / side});
    out.labels.segments.push_back(std::move(segment));
  }
  return out;
}

void check_options(const FashionDetOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw UsageError("fashiondet: " + what);
  };
  require(o.train >= 0 && o.val >= 0 && o.train + o.val > 0,
          "train and val must be >= 0 and not both 0 (given " + std::to_string(o.train) + ", " +
              std::to_string(o.val) + ")");
  require(o.img >= 64 && o.img <= 4096,
          "img must be in [64, 4096] (given " + std::to_string(o.img) + ")");
  require(o.min_items >= 1 && o.max_items >= o.min_items && o.max_items <= 64,
          "items per image must satisfy 1 <= min <= max <= 64");
  require(o.min_scale > 0 && o.max_scale >= o.min_scale && kItemSide * o.max_scale <= o.img,
          "item scales must satisfy 0 < min <= max and 28 x max <= img");
  require(o.max_overlap >= 0 && o.max_overlap <= 1, "max_overlap must be in [0, 1]");
  require(o.jpeg_quality >= 1 && o.jpeg_quality <= 100, "jpeg_quality must be in [1, 100]");
  require(o.threads >= 1, "threads must be >= 1");
}

void write_split(const FashionDetOptions& o, const std::string& split,
                 const std::string& source_split, int count, uint64_t stream,
                 FashionDetSummary& summary) {
  if (count == 0) return;
  const SourceItems source = load_source(o.source, source_split);
  const fs::path image_dir = o.out / "images" / split;
  fs::create_directories(image_dir);
  std::vector<LabeledImage> images(static_cast<size_t>(count));
  parallel_for_each_index(count, o.threads, [&](int64_t i) {
    // Each image has its own generator: the output does not depend on the thread count.
    Rng rng(o.seed, stream, static_cast<uint64_t>(i));
    ComposedImage composed = compose(source, o, rng);
    char stem[16];
    std::snprintf(stem, sizeof(stem), "%06d", static_cast<int>(i + 1));
    LabeledImage& entry = images[static_cast<size_t>(i)];
    entry.image_path = (image_dir / (std::string(stem) + ".jpg")).string();
    entry.width = o.img;
    entry.height = o.img;
    entry.labels = std::move(composed.labels);
    if (!cv::imwrite(entry.image_path, composed.image,
                     {cv::IMWRITE_JPEG_QUALITY, o.jpeg_quality})) {
      throw Error(SourceLocation{entry.image_path}, "cannot write the image");
    }
    write_yolo_labels(o.out / "labels" / split / (std::string(stem) + ".txt"), entry.labels, false);
    write_yolo_labels(o.out / "labels-seg" / split / (std::string(stem) + ".txt"), entry.labels,
                      true);
  });
  write_coco_json(o.out / "annotations" / ("instances_" + split + ".json"), images,
                  fashion_mnist_names(), image_dir);
  summary.images += count;
  for (const auto& entry : images) summary.instances += static_cast<int>(entry.labels.size());
}

}  // namespace

const std::vector<std::string>& fashion_mnist_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

FashionDetSummary generate_fashiondet(const FashionDetOptions& options) {
  check_options(options);
  FashionDetSummary summary;
  write_split(options, "train", "train", options.train, 1, summary);
  write_split(options, "val", "t10k", options.val, 2, summary);
  summary.yaml = options.out / "fashiondet.yaml";
  std::ofstream yaml(summary.yaml, std::ios::trunc);
  yaml << "# FashionDet, generated by `qyolo data fashiondet` (seed " << options.seed << ")\n"
       << "path: .  # the folder of this file\n"
       << "train: images/train\nval: images/val\n"
       << "nc: " << fashion_mnist_names().size() << "\nnames:\n";
  for (size_t i = 0; i < fashion_mnist_names().size(); ++i) {
    yaml << "  " << i << ": " << fashion_mnist_names()[i] << "\n";
  }
  if (!yaml) throw Error(SourceLocation{summary.yaml.string()}, "cannot write the data yaml");
  spdlog::info("FashionDet: {} images, {} instances in {}", summary.images, summary.instances,
               options.out.string());
  return summary;
}

Error fashiondet_missing_error(const fs::path& root) {
  return Error(SourceLocation{root.string()},
               "FashionDet data set not found; create it with: qyolo data fashiondet --out " +
                   (root.empty() ? std::string("datasets/fashiondet") : root.string()));
}

}  // namespace qyolo::data
