// Loader: deterministic batches whatever the thread count, bounded prefetching, distributed
// sampling, collate layout and error propagation.
#include "qyolo/data/loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "augment_synthetic.h"
#include "qyolo/core/error.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/data/thread_budget.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {

std::shared_ptr<Dataset> training_set(const std::string& tag, int count, MaskFormat masks) {
  const auto dir = test::temp_dir(tag);
  config::Hyp hyp;
  hyp.mixup = 0.2;
  hyp.degrees = 5;
  DatasetOptions options;
  options.img_size = 128;
  options.augment = true;
  options.masks = masks;
  return std::make_shared<Dataset>(test_images::write_images(dir, count), hyp, options);
}

std::vector<Batch> read_epoch(Loader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].targets, b[i].targets)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].masks, b[i].masks)) << "batch " << i;
    EXPECT_EQ(a[i].paths, b[i].paths);
  }
}

TEST(LoaderBatches, CollateLayout) {
  auto dataset = training_set("loader_layout", 5, MaskFormat::kOverlap);
  LoaderOptions options;
  options.batch_size = 2;
  options.workers = 2;
  Loader loader(dataset, options);
  EXPECT_EQ(loader.size(), 3);
  const auto batches = read_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  for (const auto& batch : batches) {
    const int64_t b = batch.size();
    EXPECT_EQ(batch.images.sizes(), (c10::IntArrayRef{b, 3, 128, 128}));
    EXPECT_EQ(batch.images.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(batch.images.is_contiguous());
    EXPECT_EQ(batch.masks.sizes(), (c10::IntArrayRef{b, 32, 32}));
    ASSERT_EQ(batch.targets.size(1), 6);
    if (batch.targets.size(0) > 0) {
      EXPECT_GE(batch.targets.select(1, 0).min().item<float>(), 0);
      EXPECT_LT(batch.targets.select(1, 0).max().item<float>(), static_cast<float>(b));
      EXPECT_GE(batch.targets.slice(1, 2).min().item<float>(), 0);
      EXPECT_LE(batch.targets.slice(1, 2).max().item<float>(), 1);
    }
  }
  EXPECT_EQ(batches.back().size(), 1);  // 5 = 2 + 2 + 1
  options.drop_last = true;
  Loader dropping(dataset, options);
  EXPECT_EQ(dropping.size(), 2);
  EXPECT_EQ(read_epoch(dropping, 0).size(), 2u);
}

TEST(LoaderDeterminism, SameSeedSameBatchesForAnyWorkerCount) {
  auto dataset = training_set("loader_determinism", 7, MaskFormat::kPerInstance);
  LoaderOptions options;
  options.batch_size = 3;
  options.seed = 42;
  options.workers = 0;
  Loader serial(dataset, options);
  const auto reference = read_epoch(serial, 3);
  for (int workers : {1, 3}) {
    options.workers = workers;
    options.prefetch_batches = 1 + workers % 2;
    Loader threaded(dataset, options);
    expect_same(read_epoch(threaded, 3), reference);
  }
  // Another epoch reshuffles and re-draws the augmentation.
  Loader again(dataset, options);
  const auto other_epoch = read_epoch(again, 4);
  bool differs = false;
  for (size_t i = 0; i < reference.size(); ++i) {
    differs = differs || !torch::equal(reference[i].images, other_epoch[i].images);
  }
  EXPECT_TRUE(differs);
}

TEST(LoaderMemory, PrefetchStaysBoundedWhenTheConsumerIsSlow) {
  auto dataset = training_set("loader_memory", 12, MaskFormat::kNone);
  LoaderOptions options;
  options.batch_size = 1;
  options.workers = 3;
  options.prefetch_batches = 2;
  Loader loader(dataset, options);
  loader.start_epoch(0);
  int64_t count = 0;
  while (auto batch = loader.next()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers would run ahead
    ++count;
  }
  EXPECT_EQ(count, 12);
  EXPECT_LE(loader.peak_batches_in_memory(), 2);
  EXPECT_GE(loader.peak_batches_in_memory(), 1);
}

TEST(LoaderSampler, DistributedRanksPartitionThePaddedEpoch) {
  const int64_t n = 10;
  std::multiset<int64_t> seen;
  std::vector<int64_t> first_rank;
  for (int rank = 0; rank < 3; ++rank) {
    SamplerOptions options;
    options.rank = rank;
    options.world_size = 3;
    options.seed = 5;
    DistributedSampler sampler(n, options);
    EXPECT_EQ(sampler.num_samples(), 4);
    const auto indices = sampler.indices(2);
    ASSERT_EQ(indices.size(), 4u);
    seen.insert(indices.begin(), indices.end());
    if (rank == 0) first_rank = indices;
  }
  // 12 slots: every index once, plus two repeated from the head of the permutation.
  EXPECT_EQ(seen.size(), 12u);
  for (int64_t i = 0; i < n; ++i) EXPECT_GE(seen.count(i), 1u);
  SamplerOptions same;
  same.world_size = 3;
  same.seed = 5;
  EXPECT_EQ(DistributedSampler(n, same).indices(2), first_rank);
  EXPECT_NE(DistributedSampler(n, same).indices(3), first_rank);
  same.drop_last = true;
  EXPECT_EQ(DistributedSampler(n, same).num_samples(), 3);
  same.shuffle = false;
  EXPECT_EQ(DistributedSampler(n, same).indices(0), (std::vector<int64_t>{0, 3, 6}));
  SamplerOptions bad;
  bad.rank = 2;
  bad.world_size = 2;
  EXPECT_THROW(DistributedSampler(n, bad), UsageError);
}

TEST(LoaderSampler, MatchesTorchRandperm) {
  SamplerOptions options;
  options.seed = 7;
  const auto indices = DistributedSampler(20, options).indices(1);
  auto generator = at::detail::createCPUGenerator(8);
  const torch::Tensor expected = torch::randperm(20, generator, torch::kLong);
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(indices[i], expected[i].item<int64_t>());
}

// The message of the error that reading epoch 0 raised, or "" when the epoch ended normally.
std::string epoch_error(Loader& loader) {
  loader.start_epoch(0);
  try {
    while (loader.next()) {
    }
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Deletes image `index` of `dataset` after its construction, as a file that disappears (or is
// damaged) while a run is reading the data set.
void delete_image(const Dataset& dataset, int64_t index) {
  ASSERT_TRUE(std::filesystem::remove(dataset.image(index).image_path));
}

TEST(LoaderUnreadable, ImageGoneSinceTheScanIsReplacedByTheNextOneAndCountedOnce) {
  const auto dir = test::temp_dir("loader_unreadable");
  auto dataset =
      std::make_shared<Dataset>(test_images::write_images(dir, 4), config::Hyp{}, DatasetOptions{});
  delete_image(*dataset, 2);
  LoaderOptions options;
  options.batch_size = 1;
  options.shuffle = false;
  options.workers = 2;
  Loader loader(dataset, options);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    const auto batches = read_epoch(loader, epoch);
    ASSERT_EQ(batches.size(), 4u);  // every batch complete
    EXPECT_EQ(batches[2].paths[0], dataset->image(3).image_path);
    EXPECT_TRUE(torch::equal(batches[2].images, batches[3].images));
  }
  EXPECT_EQ(dataset->unreadable_images(), 1);  // logged and counted once, not once per use
}

TEST(LoaderUnreadable, MosaicBatchesStayDeterministicWithAnImageGone) {
  auto dataset = training_set("loader_unreadable_mosaic", 6, MaskFormat::kOverlap);
  delete_image(*dataset, 0);
  delete_image(*dataset, 4);
  LoaderOptions options;
  options.batch_size = 2;
  options.seed = 3;
  options.workers = 0;
  Loader serial(dataset, options);
  const auto reference = read_epoch(serial, 1);
  ASSERT_EQ(reference.size(), 3u);
  for (const auto& batch : reference) EXPECT_EQ(batch.size(), 2);
  EXPECT_EQ(dataset->unreadable_images(), 2);
  options.workers = 3;
  Loader threaded(dataset, options);
  expect_same(read_epoch(threaded, 1), reference);
}

TEST(LoaderUnreadable, RectBatchesKeepTheirShapeWithAnImageGone) {
  const auto dir = test::temp_dir("loader_unreadable_rect");
  DatasetOptions options;
  options.img_size = 160;
  options.rect = true;
  options.batch_size = 2;
  auto dataset =
      std::make_shared<Dataset>(test_images::write_images(dir, 5, 3), config::Hyp{}, options);
  delete_image(*dataset, 1);
  LoaderOptions loader_options;
  loader_options.batch_size = 2;
  loader_options.shuffle = false;
  Loader loader(dataset, loader_options);
  const auto batches = read_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 2);
  EXPECT_EQ(batches[0].images.size(2), dataset->batch_shapes()[0][0]);
  EXPECT_EQ(batches[0].images.size(3), dataset->batch_shapes()[0][1]);
}

TEST(LoaderUnreadable, StrictModeStopsAtTheFirstUnreadableImageNamingIt) {
  const auto dir = test::temp_dir("loader_unreadable_strict");
  DatasetOptions strict;
  strict.strict = true;
  auto dataset =
      std::make_shared<Dataset>(test_images::write_images(dir, 4), config::Hyp{}, strict);
  delete_image(*dataset, 2);
  LoaderOptions options;
  options.batch_size = 1;
  options.shuffle = false;
  Loader loader(dataset, options);
  const std::string error = epoch_error(loader);
  EXPECT_NE(error.find("img2.png"), std::string::npos) << error;
  EXPECT_NE(error.find("strict"), std::string::npos) << error;
}

TEST(LoaderUnreadable, NoReadableImageLeftIsAnError) {
  const auto dir = test::temp_dir("loader_unreadable_all");
  auto dataset =
      std::make_shared<Dataset>(test_images::write_images(dir, 3), config::Hyp{}, DatasetOptions{});
  for (int64_t i = 0; i < 3; ++i) delete_image(*dataset, i);
  LoaderOptions options;
  options.batch_size = 2;
  Loader loader(dataset, options);
  const std::string error = epoch_error(loader);
  EXPECT_NE(error.find("none of the 3 images"), std::string::npos) << error;
}

TEST(LoaderRect, BatchesFollowTheDataSetShapesInOrder) {
  const auto dir = test::temp_dir("loader_rect");
  auto images = test_images::write_images(dir, 5, 3);
  DatasetOptions options;
  options.img_size = 160;
  options.rect = true;
  options.batch_size = 2;
  options.pad = 0.5;
  auto dataset = std::make_shared<Dataset>(images, config::Hyp{}, options);
  LoaderOptions loader_options;
  loader_options.batch_size = 2;
  loader_options.shuffle = false;
  Loader loader(dataset, loader_options);
  const auto batches = read_epoch(loader, 0);
  ASSERT_EQ(batches.size(), dataset->batch_shapes().size());
  for (size_t b = 0; b < batches.size(); ++b) {
    EXPECT_EQ(batches[b].images.size(2), dataset->batch_shapes()[b][0]);
    EXPECT_EQ(batches[b].images.size(3), dataset->batch_shapes()[b][1]);
    for (const auto& shapes : batches[b].shapes) EXPECT_TRUE(shapes.has_value());
  }
  loader_options.shuffle = true;
  EXPECT_THROW(Loader(dataset, loader_options), UsageError);
  loader_options.shuffle = false;
  loader_options.batch_size = 3;
  EXPECT_THROW(Loader(dataset, loader_options), UsageError);
}

TEST(LoaderFromConfig, TrainAndValidationLoadersFollowTheRunSettings) {
  const auto dir = test::temp_dir("loader_config");
  const auto images = test_images::write_images(dir, 8, 4);
  config::TrainConfig train;
  train.batch = 4;
  train.imgsz = 96;
  train.workers = 1;
  train.fraction = 0.75;
  auto loader = make_train_loader(images, config::Hyp{}, train, MaskFormat::kNone, 32, {1, 2});
  EXPECT_EQ(loader->options().batch_size, 2);  // global batch over two processes
  EXPECT_EQ(loader->dataset().size(), 6);      // 0.75 of the images
  EXPECT_EQ(loader->size(), 2);                // 3 samples on this rank, batches of 2
  EXPECT_TRUE(loader->dataset().mosaic());
  train.batch = 1;
  EXPECT_THROW(make_train_loader(images, config::Hyp{}, train, MaskFormat::kNone, 32, {0, 2}),
               UsageError);
  auto val = make_val_loader(images, 96, 4, 1, MaskFormat::kOverlap);
  EXPECT_FALSE(val->dataset().mosaic());
  EXPECT_EQ(val->options().workers, loader_workers(2));
  val->start_epoch(0);
  const auto batch = val->next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->images.size(0), 4);
  EXPECT_TRUE(batch->shapes[0].has_value());
  EXPECT_EQ(batch->mask_format, MaskFormat::kOverlap);
}

TEST(LoaderFromConfig, WorkersAreCappedAtTheCoresAndStrictDataIsPassedOn) {
  const auto dir = test::temp_dir("loader_config_budget");
  const auto images = test_images::write_images(dir, 4);
  config::TrainConfig train;
  train.batch = 2;
  train.imgsz = 64;
  train.workers = 512;
  train.strict_data = true;
  auto loader = make_train_loader(images, config::Hyp{}, train, MaskFormat::kNone);
  EXPECT_EQ(loader->options().workers, usable_cores());
  EXPECT_TRUE(loader->dataset().options().strict);
  auto val = make_val_loader(images, 64, 2, 512, MaskFormat::kNone, 32, /*strict_data=*/true);
  EXPECT_EQ(val->options().workers, usable_cores());
  EXPECT_TRUE(val->dataset().options().strict);
  train.workers = 0;  // batches on the calling thread
  EXPECT_EQ(make_train_loader(images, config::Hyp{}, train, MaskFormat::kNone)->options().workers,
            0);
}

TEST(LoaderCache, RamCacheServesDecodedImagesWithoutTheFiles) {
  const auto dir = test::temp_dir("loader_cache");
  const auto images = test_images::write_images(dir, 5);
  DatasetOptions options;
  options.img_size = 96;
  options.augment = true;
  Dataset plain(images, config::Hyp{}, options);
  options.cache_ram = true;
  Dataset cached(images, config::Hyp{}, options);
  for (int64_t i = 0; i < 5; ++i) {
    SampleRng a(9, 0, i), b(9, 0, i);
    EXPECT_TRUE(torch::equal(plain.get(i, a).image, cached.get(i, b).image)) << "sample " << i;
  }
  std::filesystem::remove_all(dir);  // from now on only the cache has the pixels
  EXPECT_THROW(plain.load_image(0), Error);
  for (int64_t i = 0; i < 5; ++i) {
    SampleRng rng(9, 0, i);
    const Sample s = cached.get(i, rng);
    EXPECT_EQ(s.image.sizes(), (c10::IntArrayRef{3, 96, 96}));
    EXPECT_EQ(cached.load_image(i).original_hw,
              (std::array<int, 2>{images[i].height, images[i].width}));
  }
}

TEST(LoaderMosaic, CloseMosaicSwitchesToLetterboxedSamples) {
  auto dataset = training_set("loader_close_mosaic", 4, MaskFormat::kNone);
  EXPECT_TRUE(dataset->mosaic());
  dataset->set_mosaic(false);
  EXPECT_FALSE(dataset->mosaic());
  SampleRng rng(0);
  EXPECT_TRUE(dataset->get(0, rng).shapes.has_value());  // letterboxed, not a mosaic
  dataset->set_mosaic(true);
  EXPECT_FALSE(dataset->get(0, rng).shapes.has_value());
}

}  // namespace
}  // namespace qyolo::data
