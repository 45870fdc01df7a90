#include "qyolo/data/create_loader.h"

#include <algorithm>
#include <cmath>

#include "qyolo/core/error.h"
#include "qyolo/data/thread_budget.h"

namespace qyolo::data {

void check_global_batch(int batch, int world_size) {
  if (batch % world_size != 0) {
    throw UsageError("train.batch = " + std::to_string(batch) +
                     " is not a multiple of the number of processes (" +
                     std::to_string(world_size) +
                     "); it is the global batch size, split evenly over the processes");
  }
}

std::unique_ptr<Loader> make_train_loader(std::vector<LabeledImage> images, const config::Hyp& hyp,
                                          const config::TrainConfig& train, MaskFormat masks,
                                          int stride, ProcessRank process) {
  check_global_batch(train.batch, process.world_size);
  if (!(train.fraction > 0.0 && train.fraction <= 1.0)) {
    throw UsageError("train.fraction = " + std::to_string(train.fraction) + " must be in (0, 1]");
  }
  if (images.empty()) throw UsageError("the training set has no images");
  const auto keep = static_cast<size_t>(std::nearbyint(train.fraction * images.size()));
  images.resize(std::clamp<size_t>(keep, 1, images.size()));

  const int batch = train.batch / process.world_size;
  DatasetOptions d;
  d.img_size = train.imgsz;
  d.augment = true;
  d.rect = train.rect;
  d.batch_size = batch;
  d.stride = stride;
  d.masks = masks;
  d.cache_ram = train.cache_ram;
  d.strict = train.strict_data;
  const int workers = loader_workers(train.workers);
  d.cache_threads = std::max(1, workers);
  LoaderOptions l;
  l.batch_size = batch;
  l.workers = workers;
  l.shuffle = !train.rect;  // rect batches only work in their sorted order
  l.seed = static_cast<uint64_t>(train.seed);
  l.rank = process.rank;
  l.world_size = process.world_size;
  return std::make_unique<Loader>(std::make_shared<Dataset>(std::move(images), hyp, d), l);
}

std::unique_ptr<Loader> make_val_loader(std::vector<LabeledImage> images, int imgsz, int batch,
                                        int workers, MaskFormat masks, int stride,
                                        bool strict_data) {
  if (images.empty()) throw UsageError("the validation set has no images");
  DatasetOptions d;
  d.img_size = imgsz;
  d.rect = true;
  d.pad = 0.5;
  d.batch_size = batch;
  d.stride = stride;
  d.masks = masks;
  d.strict = strict_data;
  LoaderOptions l;
  l.batch_size = batch;
  l.workers = loader_workers(2 * workers);
  l.shuffle = false;
  return std::make_unique<Loader>(std::make_shared<Dataset>(std::move(images), config::Hyp{}, d),
                                  l);
}

}  // namespace qyolo::data
