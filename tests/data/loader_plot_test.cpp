// The training batch picture and the loader benchmark on a few small images.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "augment_synthetic.h"
#include "qyolo/core/class_colors.h"
#include "qyolo/data/bench_loader.h"
#include "qyolo/data/loader.h"
#include "qyolo/data/plot_batch.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {

TEST(LoaderPlot, TrainBatchPictureShowsTheGridAndBoxes) {
  const auto dir = test::temp_dir("loader_plot");
  auto images = test_images::write_images(dir, 9);
  DatasetOptions options;
  options.img_size = 160;
  options.augment = true;
  options.masks = MaskFormat::kOverlap;
  config::Hyp hyp;
  hyp.degrees = 5;
  auto dataset = std::make_shared<Dataset>(images, hyp, options);
  LoaderOptions loader_options;
  loader_options.batch_size = 9;
  loader_options.workers = 2;
  Loader loader(dataset, loader_options);
  loader.start_epoch(0);
  const auto batch = loader.next();
  ASSERT_TRUE(batch.has_value());
  const auto path = dir / "train_batch0.jpg";
  save_batch_plot(*batch, {"blue", "green", "red"}, path);
  const cv::Mat picture = cv::imread(path.string());
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.size(), cv::Size(3 * 160, 3 * 160));  // 9 images: a 3 x 3 grid
  // Every class with boxes in the batch leaves its colour on the picture.
  const cv::Mat exact = plot_batch(*batch, {"blue", "green", "red"});
  for (int64_t row = 0; row < std::min<int64_t>(batch->targets.size(0), 5); ++row) {
    const int cls = static_cast<int>(batch->targets[row][1].item<float>());
    const Bgr bgr = class_color(cls);
    const cv::Scalar c(bgr.b, bgr.g, bgr.r);
    cv::Mat hits;
    cv::inRange(exact, c, c, hits);
    EXPECT_GT(cv::countNonZero(hits), 20) << "class " << cls;
  }
}

TEST(LoaderBench, ReportsPositiveRates) {
  const auto dir = test::temp_dir("loader_bench");
  const auto images = test_images::write_images(dir, 4);
  LoaderBenchOptions options;
  options.batch_size = 2;
  options.batches = 1;
  options.decode_images = 4;
  const LoaderBenchResult r = bench_loader(images, config::Hyp{}, options);
  EXPECT_GT(r.decode_images_per_s, 0);
  EXPECT_GT(r.mosaic_640_images_per_s, 0);
  EXPECT_GT(r.mosaic_320_images_per_s, 0);
  EXPECT_GT(r.seconds_per_batch_320, 0);
  EXPECT_EQ(r.workers, 2);
}

}  // namespace
}  // namespace qyolo::data
