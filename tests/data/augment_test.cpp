// Augmentations: boxes stay inside the image and agree with the transformed pixels, segments
// and masks.
#include "qyolo/data/augment.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "augment_synthetic.h"
#include "qyolo/data/dataset.h"
#include "qyolo/data/polygon_masks.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {

// A 3-object image (one instance per colour) and its labels in pixels.
std::pair<cv::Mat, Instances> three_objects(bool with_segments) {
  cv::Mat image(320, 480, CV_8UC3, cv::Scalar(40, 40, 40));
  Instances instances;
  const double centres[3][4] = {{90, 100, 60, 50}, {240, 200, 50, 70}, {390, 150, 45, 90}};
  for (int k = 0; k < 3; ++k) {
    const auto& c = centres[k];
    const auto polygon = test_images::ellipse_polygon(c[0], c[1], c[2], c[3]);
    cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, test_images::colours()[k]);
    PixelSegment segment;
    double x1 = 1e9, y1 = 1e9, x2 = -1e9, y2 = -1e9;
    for (const auto& p : polygon) {
      segment.emplace_back(p.x, p.y);
      x1 = std::min<double>(x1, p.x), y1 = std::min<double>(y1, p.y);
      x2 = std::max<double>(x2, p.x), y2 = std::max<double>(y2, p.y);
    }
    instances.cls.push_back(k);
    instances.boxes.push_back({x1, y1, x2, y2});
    if (with_segments) instances.segments.push_back(segment);
  }
  return {image, instances};
}

void expect_inside(const Instances& instances, const cv::Mat& image) {
  for (const auto& b : instances.boxes) {
    EXPECT_GE(b[0], 0.0);
    EXPECT_GE(b[1], 0.0);
    EXPECT_LE(b[2], image.cols);
    EXPECT_LE(b[3], image.rows);
    EXPECT_LT(b[0], b[2]);
    EXPECT_LT(b[1], b[3]);
  }
}

TEST(AugmentBoxCandidates, RejectsSmallThinAndShrunkBoxes) {
  const std::vector<std::array<double, 4>> before{
      {0, 0, 10, 10}, {0, 0, 10, 10}, {0, 0, 100, 100}, {0, 0, 300, 3}, {0, 0, 10, 10}};
  const std::vector<std::array<double, 4>> after{
      {0, 0, 10, 10}, {0, 0, 1.5, 10}, {0, 0, 20, 20}, {0, 0, 300, 2.5}, {5, 5, 12, 12}};
  const auto keep = box_candidates(before, after);
  EXPECT_EQ(keep, (std::vector<bool>{true, false, false, false, true}));
  // 300 x 2.5 fails only on the aspect ratio once it is allowed to be thin.
  EXPECT_FALSE(box_candidates({{0, 0, 300, 3}}, {{0, 0, 300, 2.5}}, 2.0, 100.0)[0]);
  EXPECT_TRUE(box_candidates({{0, 0, 300, 3}}, {{0, 0, 300, 2.5}}, 2.0, 200.0)[0]);
}

TEST(AugmentSegments, ResampleKeepsVerticesAndClosesThePolygon) {
  const PixelSegment square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const PixelSegment dense = resample_segment(square, 1000);
  ASSERT_EQ(dense.size(), 1000u);
  EXPECT_EQ(dense.front(), cv::Point2d(0, 0));
  EXPECT_EQ(dense.back(), cv::Point2d(0, 0));  // back to the start
  for (const auto& p : dense) {
    const bool on_edge = p.x == 0 || p.x == 10 || p.y == 0 || p.y == 10;
    EXPECT_TRUE(on_edge) << p;
  }
  EXPECT_EQ(segment_box(square, 5, 20), (std::array<double, 4>{0, 0, 0, 10}));
  EXPECT_EQ(segment_box(square, 100, 100), (std::array<double, 4>{0, 0, 10, 10}));
  EXPECT_EQ(segment_box({{-5, -5}}, 100, 100), (std::array<double, 4>{0, 0, 0, 0}));
}

TEST(AugmentPerspective, IdentityLeavesImageAndLabelsAlone) {
  auto [image, instances] = three_objects(false);
  const Instances before = instances;
  PerspectiveParams none{0, 0, 0, 0, 0};
  SampleRng rng(3);
  const cv::Mat out = random_perspective(image, instances, none, rng);
  EXPECT_EQ(cv::norm(out, image, cv::NORM_INF), 0.0);
  ASSERT_EQ(instances.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(instances.boxes[i][c], before.boxes[i][c], 1e-9);
  }
}

// Boxes after the warp match the warped object pixels, with and without segments.
TEST(AugmentPerspective, BoxesFollowTheWarpedPixels) {
  for (const bool with_segments : {true, false}) {
    for (uint64_t seed = 0; seed < 12; ++seed) {
      auto [image, instances] = three_objects(with_segments);
      PerspectiveParams params{15, 0.1, 0.3, 5, seed % 2 ? 0.0005 : 0.0};
      SampleRng rng(seed);
      const cv::Mat out = random_perspective(image, instances, params, rng);
      ASSERT_EQ(out.size(), image.size());
      expect_inside(instances, out);
      for (size_t i = 0; i < instances.size(); ++i) {
        const int k = instances.cls[i];
        const cv::Rect pixels = test_images::colour_box(out, k);
        ASSERT_GT(pixels.area(), 0) << "instance " << k << " kept but not visible";
        const auto& b = instances.boxes[i];
        // Without segments the box of the rotated box is larger than the object: only check
        // that it encloses it. With segments both sides must agree to the pixel grid.
        const double slack = 2.5;
        EXPECT_LE(b[0], pixels.x + slack) << "seed " << seed;
        EXPECT_LE(b[1], pixels.y + slack) << "seed " << seed;
        EXPECT_GE(b[2], pixels.x + pixels.width - 1 - slack) << "seed " << seed;
        EXPECT_GE(b[3], pixels.y + pixels.height - 1 - slack) << "seed " << seed;
        if (with_segments) {
          EXPECT_NEAR(b[0], pixels.x, slack) << "seed " << seed;
          EXPECT_NEAR(b[1], pixels.y, slack) << "seed " << seed;
          EXPECT_NEAR(b[2], pixels.x + pixels.width - 1, slack) << "seed " << seed;
          EXPECT_NEAR(b[3], pixels.y + pixels.height - 1, slack) << "seed " << seed;
          // The box is the box of the transformed segment, up to clipping.
          const auto from_segment = segment_box(instances.segments[i], out.cols, out.rows);
          for (int c = 0; c < 4; ++c) EXPECT_NEAR(b[c], from_segment[c], 1e-9);
        }
      }
    }
  }
}

TEST(AugmentPerspective, MosaicBorderCropsToHalfTheCanvas) {
  auto [image, instances] = three_objects(true);
  cv::Mat canvas(640, 640, CV_8UC3, cv::Scalar(114, 114, 114));
  image.copyTo(canvas(cv::Rect(80, 160, image.cols, image.rows)));
  for (auto& b : instances.boxes) b = {b[0] + 80, b[1] + 160, b[2] + 80, b[3] + 160};
  for (auto& s : instances.segments) {
    for (auto& p : s) p += cv::Point2d(80, 160);
  }
  SampleRng rng(7);
  const cv::Mat out = random_perspective(canvas, instances, {0, 0.1, 0.5, 0, 0}, rng, {-160, -160});
  EXPECT_EQ(out.size(), cv::Size(320, 320));
  expect_inside(instances, out);
}

TEST(AugmentHsv, ZeroGainsAreANoOpAndGreyStaysGrey) {
  cv::Mat grey(8, 8, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat copy = grey.clone();
  SampleRng rng(1);
  augment_hsv(copy, 0, 0, 0, rng);
  EXPECT_EQ(cv::norm(copy, grey, cv::NORM_INF), 0.0);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    SampleRng r(seed);
    cv::Mat jittered = grey.clone();
    augment_hsv(jittered, 0.015, 0.7, 0.4, r);
    std::vector<cv::Mat> c;
    cv::split(jittered, c);
    EXPECT_EQ(cv::norm(c[0], c[1], cv::NORM_INF), 0.0);  // no saturation to rotate a hue into
    EXPECT_EQ(cv::norm(c[1], c[2], cv::NORM_INF), 0.0);
    EXPECT_LE(std::abs(c[0].at<uint8_t>(0, 0) - 90), 37);  // value gain within 1 +- 0.4
  }
  cv::Mat colour(8, 8, CV_8UC3, cv::Scalar(30, 120, 200));
  cv::Mat shifted = colour.clone();
  SampleRng r(11);
  augment_hsv(shifted, 0.5, 0.5, 0.5, r);
  EXPECT_GT(cv::norm(shifted, colour, cv::NORM_INF), 0.0);
}

TEST(AugmentMixup, BlendsPixelsAndConcatenatesLabels) {
  cv::Mat a(4, 4, CV_8UC3, cv::Scalar(200, 200, 200)), b(4, 4, CV_8UC3, cv::Scalar(100, 100, 100));
  Instances la, lb;
  la.cls = {1};
  la.boxes = {{0, 0, 2, 2}};
  lb.cls = {2, 3};
  lb.boxes = {{1, 1, 3, 3}, {0, 0, 4, 4}};
  SampleRng rng(5);
  mixup(a, la, b, lb, rng);
  EXPECT_EQ(la.cls, (std::vector<int>{1, 2, 3}));
  const int v = a.at<cv::Vec3b>(0, 0)[0];
  // Beta(32, 32) concentrates around 0.5: the blend lands well inside (100, 200).
  EXPECT_GT(v, 120);
  EXPECT_LT(v, 180);
}

TEST(AugmentCopyPaste, PastesMirroredInstancesWithTheirPixels) {
  cv::Mat image(200, 300, CV_8UC3, cv::Scalar(40, 40, 40));
  const auto polygon = test_images::ellipse_polygon(60, 100, 30, 40);
  cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, test_images::colours()[0]);
  Instances instances;
  instances.cls = {0};
  PixelSegment segment;
  for (const auto& p : polygon) segment.emplace_back(p.x, p.y);
  instances.segments = {segment};
  instances.boxes = {segment_box(segment, 300, 200)};
  SampleRng rng(0);
  copy_paste(image, instances, 1.0, rng);
  ASSERT_EQ(instances.size(), 2u);
  const auto& pasted = instances.boxes[1];
  EXPECT_NEAR(pasted[0], 300 - instances.boxes[0][2], 1e-9);
  EXPECT_NEAR(pasted[2], 300 - instances.boxes[0][0], 1e-9);
  const auto from_segment = segment_box(instances.segments[1], 300, 200);
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(pasted[c], from_segment[c], 1e-9);
  // The right half now shows the mirrored object where its box says.
  const cv::Rect right = test_images::colour_box(image(cv::Rect(150, 0, 150, 200)), 0);
  EXPECT_NEAR(right.x + 150, pasted[0], 2.0);
  EXPECT_NEAR(right.x + 150 + right.width - 1, pasted[2], 2.0);
}

TEST(AugmentMasks, OverlapMaskOrdersBySizeAndSmallerWins) {
  const PixelSegment big{{0, 0}, {200, 0}, {200, 200}, {0, 200}};
  const PixelSegment small{{40, 40}, {80, 40}, {80, 80}, {40, 80}};
  const auto overlap = polygon_masks_overlap(cv::Size(240, 240), {small, big}, 4);
  ASSERT_EQ(overlap.order, (std::vector<size_t>{1, 0}));
  EXPECT_EQ(overlap.mask.size(), cv::Size(60, 60));
  EXPECT_EQ(overlap.mask.at<int>(15, 15), 2);  // inside the small square
  EXPECT_EQ(overlap.mask.at<int>(40, 40), 1);  // big only
  EXPECT_EQ(overlap.mask.at<int>(55, 55), 0);  // background
  const auto single = polygon_masks(cv::Size(240, 240), {small}, 1);
  EXPECT_EQ(cv::countNonZero(single[0]), 41 * 41);  // fillPoly includes both edges
}

// Whole training samples (mosaic, perspective, copy-paste, mixup, flips): labels inside the
// image and each instance's mask agreeing with its box.
TEST(AugmentDataset, MosaicSamplesKeepBoxesAndMasksConsistent) {
  const auto dir = test::temp_dir("augment_mosaic");
  auto images = test_images::write_images(dir, 6);
  config::Hyp hyp;
  hyp.degrees = 10;
  hyp.shear = 2;
  hyp.mixup = 0.3;
  hyp.copy_paste = 0.5;
  hyp.flipud = 0.5;
  DatasetOptions options;
  options.img_size = 256;
  options.augment = true;
  options.masks = MaskFormat::kPerInstance;
  options.mask_downsample = 4;
  Dataset dataset(images, hyp, options);
  int checked = 0;
  for (int64_t index = 0; index < 6; ++index) {
    for (uint64_t epoch = 0; epoch < 4; ++epoch) {
      SampleRng rng(0, static_cast<int64_t>(epoch), index);
      const Sample s = dataset.get(index, rng);
      ASSERT_EQ(s.image.sizes(), (c10::IntArrayRef{3, 256, 256}));
      ASSERT_EQ(s.image.scalar_type(), torch::kUInt8);
      const int64_t n = s.labels.size(0);
      ASSERT_EQ(s.masks.size(0), n);
      EXPECT_FALSE(s.shapes.has_value());
      for (int64_t i = 0; i < n; ++i) {
        const auto row = s.labels[i];
        const double cx = row[2].item<double>(), cy = row[3].item<double>();
        const double w = row[4].item<double>(), h = row[5].item<double>();
        EXPECT_GE(cx - w / 2, -1e-6);
        EXPECT_LE(cx + w / 2, 1 + 1e-6);
        EXPECT_GE(cy - h / 2, -1e-6);
        EXPECT_LE(cy + h / 2, 1 + 1e-6);
        // Mask pixels (64 x 64 grid, 4 image pixels each) against the box.
        const torch::Tensor cells = torch::nonzero(s.masks[i]);  // (k, 2) of (y, x)
        ASSERT_GT(cells.size(0), 0) << "instance without mask pixels, index " << index;
        const torch::Tensor low = std::get<0>(cells.min(0)), high = std::get<0>(cells.max(0));
        const double tol = 2.0 / 64;  // two mask cells
        EXPECT_NEAR(low[1].item<double>() / 64, cx - w / 2, tol) << "index " << index;
        EXPECT_NEAR((high[1].item<double>() + 1) / 64, cx + w / 2, tol) << "index " << index;
        EXPECT_NEAR(low[0].item<double>() / 64, cy - h / 2, tol) << "index " << index;
        EXPECT_NEAR((high[0].item<double>() + 1) / 64, cy + h / 2, tol) << "index " << index;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(AugmentDataset, OverlapMasksMatchSortedLabels) {
  const auto dir = test::temp_dir("augment_overlap");
  auto images = test_images::write_images(dir, 4, 5);
  DatasetOptions options;
  options.img_size = 192;
  options.augment = true;
  options.masks = MaskFormat::kOverlap;
  Dataset dataset(images, config::Hyp{}, options);
  for (int64_t index = 0; index < 4; ++index) {
    SampleRng rng(1, 0, index);
    const Sample s = dataset.get(index, rng);
    ASSERT_EQ(s.masks.sizes(), (c10::IntArrayRef{1, 48, 48}));
    const int64_t n = s.labels.size(0);
    EXPECT_LE(s.masks.max().item<int64_t>(), n);
    // Areas of the labelled instances decrease along the label order (largest first).
    for (int64_t i = 1; i < n; ++i) {
      const int64_t previous = (s.masks == i).sum().item<int64_t>();
      const int64_t current = (s.masks == i + 1).sum().item<int64_t>();
      EXPECT_GE(previous + 2, current) << "index " << index;  // non-overlapping objects
    }
  }
}

TEST(AugmentDataset, ValidationSampleMapsBackToTheOriginalImage) {
  const auto dir = test::temp_dir("augment_val");
  auto images = test_images::write_images(dir, 3, 9);
  DatasetOptions options;
  options.img_size = 320;
  Dataset dataset(images, config::Hyp{}, options);
  for (int64_t index = 0; index < 3; ++index) {
    SampleRng rng(0);
    const Sample s = dataset.get(index, rng);
    ASSERT_TRUE(s.shapes.has_value());
    EXPECT_EQ(s.image.size(1), 320);
    EXPECT_EQ(s.image.size(2), 320);
    const auto& original = images[index];
    EXPECT_EQ(s.shapes->original_hw, (std::array<int, 2>{original.height, original.width}));
    // Normalised labels -> letterboxed pixels -> original pixels equals the original boxes.
    const torch::Tensor xywh = s.labels.slice(1, 2, 6) * 320;
    const torch::Tensor xyxy = torch::stack(
        {xywh.select(1, 0) - xywh.select(1, 2) / 2, xywh.select(1, 1) - xywh.select(1, 3) / 2,
         xywh.select(1, 0) + xywh.select(1, 2) / 2, xywh.select(1, 1) + xywh.select(1, 3) / 2},
        1);
    const torch::Tensor back =
        scale_boxes({320, 320}, xyxy, {original.height, original.width}, &s.shapes->placement);
    // One gain (the height's, as in ultralytics) serves both axes, while load_image truncates
    // the resized size: coordinates may be off by (long side / resized short side) pixels.
    const auto& pad = s.shapes->placement.pad;
    const double resized_short = 320 - 2 * std::max(pad[0], pad[1]);
    const double tol = 0.05 + std::max(original.width, original.height) / resized_short;
    for (size_t i = 0; i < original.labels.size(); ++i) {
      const auto& b = original.labels.boxes[i];
      EXPECT_NEAR(back[i][0].item<double>(), (b[0] - b[2] / 2) * original.width, tol);
      EXPECT_NEAR(back[i][2].item<double>(), (b[0] + b[2] / 2) * original.width, tol);
      EXPECT_NEAR(back[i][1].item<double>(), (b[1] - b[3] / 2) * original.height, tol);
      EXPECT_NEAR(back[i][3].item<double>(), (b[1] + b[3] / 2) * original.height, tol);
    }
  }
}

TEST(AugmentDataset, RectBatchShapesFollowSortedAspectRatios) {
  const auto dir = test::temp_dir("augment_rect");
  std::vector<LabeledImage> images;
  const int sizes[4][2] = {{300, 100}, {100, 300}, {200, 100}, {100, 100}};  // (w, h)
  for (int i = 0; i < 4; ++i) {
    LabeledImage e;
    e.image_path = (dir / ("r" + std::to_string(i) + ".png")).string();
    cv::imwrite(e.image_path, cv::Mat(sizes[i][1], sizes[i][0], CV_8UC3, cv::Scalar(0, 0, 0)));
    images.push_back(e);  // sizes left 0: the data set reads them
  }
  DatasetOptions options;
  options.img_size = 320;
  options.rect = true;
  options.batch_size = 2;
  options.pad = 0.5;
  Dataset dataset(images, config::Hyp{}, options);
  // Sorted by h/w: 1/3, 1/2 | 1, 3. Batch 0: [h, w] = [0.5, 1] -> ceil(5 + 0.5) * 32, ceil(10.5)
  // * 32.
  ASSERT_EQ(dataset.batch_shapes().size(), 2u);
  EXPECT_EQ(dataset.batch_shapes()[0], (std::array<int, 2>{192, 352}));
  EXPECT_EQ(dataset.batch_shapes()[1], (std::array<int, 2>{352, 352}));
  EXPECT_EQ(dataset.image(0).image_path, images[0].image_path);
  EXPECT_EQ(dataset.image(3).image_path, images[1].image_path);
  SampleRng rng(0);
  const Sample s = dataset.get(1, rng);
  EXPECT_EQ(s.image.sizes(), (c10::IntArrayRef{3, 192, 352}));
  EXPECT_FALSE(dataset.mosaic());
}

}  // namespace
}  // namespace qyolo::data
