// Loader lifecycle under stress, as a training run drives it at every epoch end: a mosaic train
// loader and a rect validation loader, several workers each, created, overlapped (the val epoch
// runs while the next train epoch is prefetching) and destroyed for hundreds of epochs. Worker
// threads that reconfigured OpenCV's global TBB arena as they started crashed in libtbb here.
#include <gtest/gtest.h>

#include "augment_synthetic.h"
#include "qyolo/data/loader.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {

constexpr int kEpochs = 600;
constexpr int kWorkers = 8;
constexpr int kBatch = 2;
constexpr int kImgSize = 64;

// Reads one epoch and checks that every batch arrived complete: all of them, in order, each
// with its images, one path per image and targets that point into the batch.
void expect_complete_epoch(Loader& loader, int64_t epoch, const std::string& what) {
  int64_t batches = 0, samples = 0;
  while (auto batch = loader.next()) {
    const int64_t b = batch->size();
    ASSERT_GE(b, 1) << what << " epoch " << epoch;
    ASSERT_EQ(batch->images.dim(), 4) << what << " epoch " << epoch;
    ASSERT_EQ(batch->images.size(0), b) << what << " epoch " << epoch;
    ASSERT_EQ(batch->images.size(1), 3) << what << " epoch " << epoch;
    ASSERT_EQ(static_cast<int64_t>(batch->shapes.size()), b) << what << " epoch " << epoch;
    if (batch->targets.size(0) > 0) {
      ASSERT_LT(batch->targets.select(1, 0).max().item<float>(), static_cast<float>(b));
    }
    ++batches;
    samples += b;
  }
  ASSERT_EQ(batches, loader.size()) << what << " epoch " << epoch;
  ASSERT_EQ(samples, loader.dataset().size()) << what << " epoch " << epoch;
}

TEST(LoaderStress, TrainAndValidationLoadersWithWorkersOverHundredsOfEpochs) {
  const auto dir = test::temp_dir("loader_stress");
  const auto images = test_images::write_images(dir, 4);
  // Decoded once into RAM so the epochs cost augmentation, not PNG decoding.
  DatasetOptions train_options;
  train_options.img_size = kImgSize;
  train_options.augment = true;
  train_options.masks = MaskFormat::kOverlap;
  train_options.cache_ram = true;
  config::Hyp hyp;
  hyp.mixup = 0.5;
  auto train_set = std::make_shared<Dataset>(images, hyp, train_options);
  DatasetOptions val_options;
  val_options.img_size = kImgSize;
  val_options.rect = true;
  val_options.batch_size = kBatch;
  val_options.pad = 0.5;
  val_options.cache_ram = true;
  auto val_set = std::make_shared<Dataset>(images, config::Hyp{}, val_options);

  for (int64_t epoch = 0; epoch < kEpochs; ++epoch) {
    LoaderOptions train_loader_options;
    train_loader_options.batch_size = kBatch;
    train_loader_options.workers = kWorkers;
    train_loader_options.seed = static_cast<uint64_t>(epoch);
    Loader train(train_set, train_loader_options);
    train.start_epoch(epoch);  // its workers prefetch while the validation epoch runs
    {
      LoaderOptions val_loader_options;
      val_loader_options.batch_size = kBatch;
      val_loader_options.workers = kWorkers;
      val_loader_options.shuffle = false;
      Loader val(val_set, val_loader_options);
      val.start_epoch(0);
      expect_complete_epoch(val, epoch, "validation");
    }
    expect_complete_epoch(train, epoch, "train");
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace qyolo::data
