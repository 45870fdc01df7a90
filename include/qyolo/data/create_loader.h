// Training and validation loaders set up from the run configuration the way ultralytics
// train.py / val.py set up theirs.
#pragma once

#include <memory>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/data/labels.h"
#include "qyolo/data/loader.h"

namespace qyolo::data {

struct ProcessRank {
  int rank = 0;
  int world_size = 1;
};

// Throws UsageError unless the global batch splits evenly over `world_size` processes.
void check_global_batch(int batch, int world_size);

// Augmented training batches: mosaic and friends (rect batches instead when train.rect), the
// global train.batch split over the processes, train.workers threads (at most the usable
// cores), seeded by train.seed, the first round(fraction * n) images, optional RAM cache; an
// image unreadable since the scan is replaced unless train.strict_data. Close-mosaic is the
// caller's: loader->dataset().set_mosaic(false) for the last train.close_mosaic epochs.
std::unique_ptr<Loader> make_train_loader(std::vector<LabeledImage> images, const config::Hyp& hyp,
                                          const config::TrainConfig& train, MaskFormat masks,
                                          int stride = 32, ProcessRank process = {});

// Validation batches: letterboxed, rect shapes with pad 0.5, in data set order, no
// augmentation, 2 x `workers` threads as val.py (at most the usable cores).
std::unique_ptr<Loader> make_val_loader(std::vector<LabeledImage> images, int imgsz, int batch,
                                        int workers, MaskFormat masks, int stride = 32,
                                        bool strict_data = false);

}  // namespace qyolo::data
