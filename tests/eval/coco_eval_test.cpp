#include "qyolo/eval/coco_eval.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo::eval {
namespace {

using nlohmann::json;

TEST(CocoEval, BboxEqualsPycocotools) {
  const auto dir = test::fixtures_dir();
  auto result = evaluate_coco_files(dir / "metrics_coco_gt.json", dir / "metrics_coco_dets.json",
                                    CocoIouType::kBbox);
  auto coco = test::load_pickle(dir / "metrics.pt").toGenericDict().at("coco").toGenericDict();
  auto stats = coco.at("stats").toList();
  ASSERT_EQ(stats.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_NEAR(result.stats[i], stats.get(i).toDouble(), 1e-6) << coco_stat_names()[i];
  }
  auto precision = coco.at("precision").toTensor().to(torch::kDouble);
  auto recall = coco.at("recall").toTensor().to(torch::kDouble);
  auto scores = coco.at("scores").toTensor().to(torch::kDouble);
  ASSERT_EQ(result.precision.sizes(), precision.sizes());
  ASSERT_EQ(result.recall.sizes(), recall.sizes());
  EXPECT_LE((result.precision - precision).abs().max().item<double>(), 1e-6);
  EXPECT_LE((result.recall - recall).abs().max().item<double>(), 1e-6);
  EXPECT_LE((result.scores - scores).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(result.summary_text, coco.at("summary_text").toStringRef());
  EXPECT_EQ(result.json["stats"].size(), 12u);
}

// One 100x100 image, one category. GT: a polygon square (400 px), an RLE block (100 px) and a
// crowd region. Detections (masks only): a false positive inside the crowd region (ignored, not
// a false positive), a half-overlapping mask of the block (IoU 1/3: a false positive at every
// threshold) and an exact copy of the square, in that score order.
// Hand result: D3 ignored, D2 fp, D1 tp -> recall 0.5, precision envelope 0.5 for recall <= 0.5
// -> AP = 0.5 * 51/101 at every IoU; AR = 0.5 except AR@1, where only the ignored detection
// remains (0). No medium/large ground truth: -1.
TEST(CocoEval, SegmHandComputed) {
  const int64_t h = 100, w = 100;
  auto block = [&](int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
    auto m = torch::zeros({h, w}, torch::kUInt8);
    m.index_put_({torch::indexing::Slice(y0, y1), torch::indexing::Slice(x0, x1)}, 1);
    return m;
  };
  auto square = block(10, 10, 30, 30);
  auto polygon = rle_from_polygon({10, 10, 30, 10, 30, 30, 10, 30}, h, w);
  ASSERT_TRUE(torch::equal(rle_decode(polygon), square)) << "polygon rasterisation";
  auto compressed = [&](const torch::Tensor& m) {
    return json{{"size", {h, w}}, {"counts", rle_to_string(rle_encode(m))}};
  };
  auto crowd_rle = rle_encode(block(70, 70, 100, 100));
  json gt = {{"images", {{{"id", 7}, {"width", w}, {"height", h}}}},
             {"categories", {{{"id", 3}, {"name", "thing"}}, {{"id", 4}, {"name", "other"}}}},
             {"annotations",
              {{{"id", 1},
                {"image_id", 7},
                {"category_id", 3},
                {"bbox", {10, 10, 20, 20}},
                {"area", 400},
                {"iscrowd", 0},
                {"segmentation", {{10, 10, 30, 10, 30, 30, 10, 30}}}},
               {{"id", 2},
                {"image_id", 7},
                {"category_id", 3},
                {"bbox", {60, 60, 10, 10}},
                {"area", 100},
                {"iscrowd", 0},
                {"segmentation", compressed(block(60, 60, 70, 70))}},
               {{"id", 3},
                {"image_id", 7},
                {"category_id", 3},
                {"bbox", {70, 70, 30, 30}},
                {"area", 900},
                {"iscrowd", 1},
                {"segmentation", {{"size", {h, w}}, {"counts", crowd_rle.counts}}}}}}};
  json dets = {
      {{"image_id", 7},
       {"category_id", 3},
       {"score", 0.9},
       {"segmentation", compressed(block(80, 80, 90, 90))}},
      {{"image_id", 7},
       {"category_id", 3},
       {"score", 0.8},
       {"segmentation", compressed(block(60, 65, 70, 75))}},
      {{"image_id", 7}, {"category_id", 3}, {"score", 0.7}, {"segmentation", compressed(square)}}};
  const auto gt_ds = CocoDataset::from_json(gt);
  const auto dt_ds = gt_ds.results_from_json(dets);
  ASSERT_EQ(dt_ds.annotations().size(), 3u);
  EXPECT_EQ(dt_ds.annotations()[2].area, 400);  // from the mask
  EXPECT_EQ(dt_ds.annotations()[1].bbox, (std::array<double, 4>{60, 65, 10, 10}));
  auto r = evaluate_coco(gt_ds, dt_ds, CocoIouType::kSegm);
  const double ap = 0.5 * 51.0 / 101.0;
  const std::array<double, 12> expected{ap, ap, ap, ap, -1, -1, 0, 0.5, 0.5, 0.5, -1, -1};
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_NEAR(r.stats[i], expected[i], 1e-12) << coco_stat_names()[i];
  }
  // The category without annotations stays absent (-1) everywhere.
  EXPECT_EQ(r.precision.select(2, 1).max().item<double>(), -1);
  EXPECT_NE(r.summary_text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | "
                                "maxDets=100 ] = -1.000\n"),
            std::string::npos);

  // Results without 'bbox' get the masks' boxes; as boxes the overlaps are the same here.
  auto boxes = evaluate_coco(gt_ds, dt_ds, CocoIouType::kBbox);
  EXPECT_NEAR(boxes.stats[0], ap, 1e-12);
}

// Cells and categories are evaluated on the intra-op threads: any thread count gives the same
// bits. 300 images x 6 categories of random boxes, crowds and detections (fixed seed).
TEST(CocoEval, ThreadCountDoesNotChangeAnyNumber) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  json images = json::array(), categories = json::array(), annotations = json::array(),
       dets = json::array();
  for (int c = 1; c <= 6; ++c) categories.push_back({{"id", c}});
  int64_t id = 1;
  for (int image = 1; image <= 300; ++image) {
    images.push_back({{"id", image}, {"width", 640}, {"height", 480}});
    for (int n = 0; n < 8; ++n) {
      const double x = 600 * unit(rng), y = 440 * unit(rng), w = 4 + 200 * unit(rng),
                   h = 4 + 150 * unit(rng);
      const int category = 1 + static_cast<int>(6 * unit(rng)) % 6;
      annotations.push_back({{"id", id++},
                             {"image_id", image},
                             {"category_id", category},
                             {"bbox", {x, y, w, h}},
                             {"area", w * h},
                             {"iscrowd", unit(rng) < 0.05 ? 1 : 0}});
      for (int d = 0; d < 3; ++d) {  // jittered copies, some of another category
        const double j = 30 * (unit(rng) - 0.5);
        dets.push_back({{"image_id", image},
                        {"category_id", unit(rng) < 0.8 ? category : 1 + (category % 6)},
                        {"bbox", {x + j, y - j, w * (0.8 + 0.4 * unit(rng)), h}},
                        {"score", unit(rng)}});
      }
    }
  }
  const auto gt = CocoDataset::from_json(
      {{"images", images}, {"categories", categories}, {"annotations", annotations}});
  const auto dt = gt.results_from_json(dets);
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = evaluate_coco(gt, dt, CocoIouType::kBbox);
  torch::set_num_threads(4);
  const auto four = evaluate_coco(gt, dt, CocoIouType::kBbox);
  torch::set_num_threads(threads_before);
  EXPECT_GT(one.stats[0], 0.05);  // a case with matches, not an empty evaluation
  EXPECT_EQ(one.stats, four.stats);
  EXPECT_TRUE(torch::equal(one.precision, four.precision));
  EXPECT_TRUE(torch::equal(one.recall, four.recall));
  EXPECT_TRUE(torch::equal(one.scores, four.scores));
}

TEST(CocoEval, ResultsMustReferToKnownImages) {
  json gt = {{"images", {{{"id", 1}, {"width", 10}, {"height", 10}}}},
             {"categories", {{{"id", 1}}, {{"id", 2}}}},
             {"annotations", json::array()}};
  const auto ds = CocoDataset::from_json(gt);
  json dets = {{{"image_id", 5}, {"category_id", 1}, {"bbox", {0, 0, 1, 1}}, {"score", 0.5}}};
  try {
    ds.results_from_json(dets, "dets.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image 5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dets.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_coco_iou_type("keypoints"), UsageError);
}

// load_results reads the file one result at a time: the same annotations as the whole-tree path,
// and the same errors, each naming the file and the result.
TEST(CocoEval, ResultsReadFromAFileEqualTheInMemoryPath) {
  const json gt = {{"images", {{{"id", 1}, {"width", 20}, {"height", 10}}}},
                   {"categories", {{{"id", 1}}}},
                   {"annotations", json::array()}};
  const auto ds = CocoDataset::from_json(gt);
  const auto dir = test::temp_dir("coco_results");
  auto load = [&](const json& results) {
    test::write_text(dir / "dets.json", results.dump());
    return ds.load_results(dir / "dets.json");
  };
  const json boxes = {
      {{"image_id", 1}, {"category_id", 1}, {"bbox", {1, 2, 3, 4}}, {"score", 0.5}},
      {{"image_id", 1}, {"category_id", 1}, {"bbox", {0, 0, 2, 2}}, {"score", 0.25}}};
  const json masks = {
      {{"image_id", 1},
       {"category_id", 1},
       {"score", 0.5},
       {"segmentation", {{"size", {10, 20}}, {"counts", "b1n0h3"}}}}};  // 50 0s, 30 1s, 120 0s
  for (const json& results : {boxes, masks, json::array()}) {
    const auto streamed = load(results).annotations();
    const auto whole = ds.results_from_json(results).annotations();
    ASSERT_EQ(streamed.size(), whole.size()) << results;
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(streamed[i].id, whole[i].id);
      EXPECT_EQ(streamed[i].bbox, whole[i].bbox);
      EXPECT_EQ(streamed[i].area, whole[i].area);
      EXPECT_EQ(streamed[i].score, whole[i].score);
      EXPECT_EQ(streamed[i].segmentation, whole[i].segmentation);
    }
  }
  auto error_of = [&](const std::string& text) {
    test::write_text(dir / "dets.json", text);
    try {
      ds.load_results(dir / "dets.json");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string not_object =
      error_of(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1],
                                             "score": 0.5}, 7])");
  EXPECT_NE(not_object.find("dets.json"), std::string::npos) << not_object;
  EXPECT_NE(not_object.find("[1]: expected an object"), std::string::npos) << not_object;
  EXPECT_NE(error_of(R"({"image_id": 1})").find("results must be a list"), std::string::npos);
  EXPECT_NE(error_of("[{\"image_id\": 1,").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"([{"image_id": 1, "category_id": 1, "score": 0.5}])").find("[0]"),
            std::string::npos);
}

TEST(Rle, StringRoundTripAndGeometry) {
  auto m = torch::zeros({7, 9}, torch::kUInt8);
  m.index_put_({torch::indexing::Slice(2, 5), torch::indexing::Slice(3, 8)}, 1);
  m[6][0] = 1;
  auto rle = rle_encode(m);
  EXPECT_EQ(rle_area(rle), 16u);
  EXPECT_EQ(rle_to_bbox(rle), (std::array<double, 4>{0, 2, 8, 5}));
  // A run that wraps into the next column spans the full height.
  auto wrap = torch::zeros({7, 9}, torch::kUInt8);
  wrap[6][1] = 1;
  wrap[0][2] = 1;
  EXPECT_EQ(rle_to_bbox(rle_encode(wrap)), (std::array<double, 4>{1, 0, 2, 7}));
  auto back = rle_from_string(rle_to_string(rle), 7, 9);
  EXPECT_EQ(back.counts, rle.counts);
  EXPECT_TRUE(torch::equal(rle_decode(back), m));
  // A long run exercises the multi-character encoding and negative deltas.
  Rle big{1000, 1000, {123456, 7, 999000, 2, 3}};
  EXPECT_EQ(rle_from_string(rle_to_string(big), 1000, 1000).counts, big.counts);

  auto a = rle_encode(m);
  auto b = rle_encode(torch::ones({7, 9}, torch::kUInt8));
  EXPECT_EQ(rle_area(rle_merge({a, b}, true)), 16u);
  EXPECT_EQ(rle_area(rle_merge({a, b}, false)), 63u);
  double iou[2];
  coco_mask_iou({&a, &a}, {&b}, {0}, iou);
  EXPECT_DOUBLE_EQ(iou[0], 16.0 / 63.0);
  coco_mask_iou({&a}, {&b}, {1}, iou);
  EXPECT_DOUBLE_EQ(iou[0], 1.0);  // crowd: intersection over the detection's area
}

}  // namespace
}  // namespace qyolo::eval
