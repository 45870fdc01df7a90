// Loader throughput: how fast mosaic training batches are produced compared with plain decoding.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/data/labels.h"

namespace qyolo::data {

struct LoaderBenchOptions {
  int workers = 2;
  int batch_size = 16;
  int batches = 8;         // timed batches per image size, from the start of an epoch
  int decode_images = 64;  // images decoded for the decode-only figure
  uint64_t seed = 0;
};

struct LoaderBenchResult {
  std::string data;  // the data yaml whose train split was read (empty: images were given)
  int64_t images = 0;
  int workers = 0;
  int batch_size = 0;
  int threads = 0;                     // intra-op threads (they collate the batches)
  double decode_images_per_s = 0;      // cv::imread only, same thread count
  double mosaic_640_images_per_s = 0;  // full training samples (mosaic + augmentations)
  double mosaic_320_images_per_s = 0;
  double seconds_per_batch_320 = 0;
  // Mosaic throughput as a fraction of decode throughput (a mosaic decodes four images).
  double mosaic_640_vs_decode() const { return mosaic_640_images_per_s / decode_images_per_s; }
  double mosaic_320_vs_decode() const { return mosaic_320_images_per_s / decode_images_per_s; }

  nlohmann::json to_json() const;
  std::string to_string() const;
};

// Times the training loader on `images` with `hyp` (mosaic forced on).
LoaderBenchResult bench_loader(const std::vector<LabeledImage>& images, config::Hyp hyp,
                               const LoaderBenchOptions& options = {});

// Times the training loader on the train split of `data_yaml` with the default hyperparameters.
LoaderBenchResult bench_loader(const std::filesystem::path& data_yaml,
                               const LoaderBenchOptions& options = {});

}  // namespace qyolo::data
