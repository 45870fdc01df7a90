// The training / validation data set of images and labels: yields one augmented (or
// letterboxed) sample per index, as ultralytics yolov5 v7.0 LoadImagesAndLabels and
// LoadImagesAndLabelsAndMasks do.
#pragma once

#include <torch/torch.h>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/data/bad_input.h"
#include "qyolo/data/instances.h"
#include "qyolo/data/labels.h"
#include "qyolo/data/letterbox.h"
#include "qyolo/data/sample_rng.h"

namespace qyolo::data {

enum class MaskFormat {
  kNone,         // detection: no masks
  kOverlap,      // one (1, H/d, W/d) mask per image, instances sorted by area (ultralytics overlap)
  kPerInstance,  // (n, H/d, W/d), one {0,1} mask per instance
};

struct DatasetOptions {
  int img_size = 640;
  bool augment = false;  // training: mosaic, perspective, HSV, flips, mixup, copy-paste
  // Rectangular batches (validation): images sorted by aspect ratio, each batch letterboxed to
  // its own stride-multiple shape. Turns mosaic off.
  bool rect = false;
  int batch_size = 16;  // the batches rect shapes are computed for
  int stride = 32;
  double pad = 0.0;  // rect: extra padding in strides (0.5 for validation)
  MaskFormat masks = MaskFormat::kNone;
  int mask_downsample = 4;
  bool cache_ram = false;  // keep decoded, resized images in memory
  int cache_threads = 2;
  // An image that cannot be read any more (deleted or damaged after the scan) stops the run
  // instead of being replaced by the next readable one (train.strict_data).
  bool strict = false;
};

// Where a letterboxed sample came from, for mapping predictions back (scale_boxes).
struct ImageShapes {
  std::array<int, 2> original_hw{0, 0};
  // As ultralytics' shapes[i][1], which val.py hands to scale_boxes: ratio = (h / h0, w / w0)
  // (height first, so scale_boxes uses the height gain, as val.py does), pad = (dw, dh).
  RatioPad placement;
};

struct Sample {
  torch::Tensor image;   // (3, H, W) uint8 RGB, contiguous
  torch::Tensor labels;  // (n, 6) float: 0 (image index, set by collate), cls, cx, cy, w, h
  torch::Tensor masks;   // undefined, (1, H/d, W/d) overlap or (n, H/d, W/d) per instance
  MaskFormat mask_format = MaskFormat::kNone;
  std::string path;
  std::optional<ImageShapes> shapes;  // letterboxed (non-mosaic) samples only
};

// A decoded image resized so its long side is img_size, with its sizes.
struct LoadedImage {
  cv::Mat bgr;
  std::array<int, 2> original_hw{0, 0};
  std::array<int, 2> resized_hw{0, 0};
};

class Dataset {
 public:
  Dataset(std::vector<LabeledImage> images, config::Hyp hyp, DatasetOptions options);

  int64_t size() const { return static_cast<int64_t>(images_.size()); }
  const LabeledImage& image(int64_t index) const { return images_.at(index); }
  const DatasetOptions& options() const { return options_; }
  const config::Hyp& hyp() const { return hyp_; }

  // The sample at `index`; every random choice comes from `rng`.
  Sample get(int64_t index, SampleRng& rng) const;

  // Mosaic on/off at run time (ultralytics close_mosaic); only matters when augmenting.
  void set_mosaic(bool enabled) { mosaic_enabled_ = enabled; }
  bool mosaic() const { return options_.augment && !options_.rect && mosaic_enabled_; }

  // (height, width) of every rect batch, in batch order; empty unless rect.
  const std::vector<std::array<int, 2>>& batch_shapes() const { return batch_shapes_; }

  // Decodes image `index` and resizes it; throws qyolo::Error naming the file when it cannot.
  LoadedImage load_image(int64_t index) const;

  // Images found unreadable while producing samples (each counted once).
  int unreadable_images() const;

 private:
  // Image `index`, or when it cannot be read any more the next readable image after it: the
  // substitute depends only on which files are readable, so batches stay deterministic. The
  // first failure of an image is logged and counted (a qyolo::Error under strict). Returns the
  // index of the image used.
  std::pair<int64_t, LoadedImage> load_readable_image(int64_t index) const;
  std::pair<cv::Mat, Instances> load_mosaic(int64_t index, SampleRng& rng) const;
  void compute_batch_shapes();
  void cache_images();

  std::vector<LabeledImage> images_;
  config::Hyp hyp_;
  DatasetOptions options_;
  std::atomic<bool> mosaic_enabled_{true};
  std::vector<std::array<int, 2>> batch_shapes_;
  std::vector<LoadedImage> cache_;
  mutable std::mutex unreadable_mutex_;
  mutable std::set<int64_t> unreadable_;
  mutable BadInputLog unreadable_log_;
};

// Decodes an image file as BGR; throws qyolo::Error naming the file when it cannot be read.
cv::Mat read_image(const std::string& path);

// BGR HWC uint8 image -> (3, H, W) uint8 RGB tensor.
torch::Tensor to_rgb_tensor(const cv::Mat& bgr);

}  // namespace qyolo::data
