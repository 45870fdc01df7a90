// COCO json: category mapping, RLE decoding, reading polygons / crowd masks, and the
// COCO json -> YOLO labels -> COCO json round trip.
#include "qyolo/data/coco.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "qyolo/data/yolo_dataset.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// cocoapi's rleToString, written out as a reference for the decoder.
std::string rle_to_string(const std::vector<int64_t>& counts) {
  std::string s;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t x = counts[i] - (i > 2 ? counts[i - 2] : 0);
    for (bool more = true; more;) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s += static_cast<char>(c + 48);
    }
  }
  return s;
}

TEST(Coco, Coco80To91MatchesUltralytics) {
  const std::vector<int>& ids = coco80_to_91();
  ASSERT_EQ(ids.size(), 80u);
  EXPECT_EQ(ids[0], 1);    // person
  EXPECT_EQ(ids[11], 13);  // stop sign (12 is unused)
  EXPECT_EQ(ids[24], 27);  // backpack
  EXPECT_EQ(ids[79], 90);  // toothbrush
}

TEST(Coco, DecodesRleListsAndCompressedStrings) {
  const cv::Mat mask = decode_rle({1, 2, 1, 2}, 3, 2);  // column-major runs
  EXPECT_EQ(mask.at<uint8_t>(0, 0), 0);
  EXPECT_EQ(mask.at<uint8_t>(1, 0), 1);
  EXPECT_EQ(mask.at<uint8_t>(2, 0), 1);
  EXPECT_EQ(mask.at<uint8_t>(0, 1), 0);
  EXPECT_EQ(mask.at<uint8_t>(2, 1), 1);
  EXPECT_THROW(decode_rle({10}, 3, 2), Error);

  const std::vector<int64_t> counts = {5, 40, 3, 10, 1000, 2, 70000, 7};
  EXPECT_EQ(rle_to_string({1, 2, 1, 2}), "1210");
  const std::vector<uint32_t> decoded = rle_counts_from_string(rle_to_string(counts));
  EXPECT_EQ(decoded, std::vector<uint32_t>(counts.begin(), counts.end()));
}

json sample_json() {
  // Categories listed out of id order; class index = rank of the id.
  json categories = json::array({{{"id", 7}, {"name", "seven"}},
                                 {{"id", 1}, {"name", "one"}},
                                 {{"id", 3}, {"name", "three"}}});
  json images =
      json::array({{{"id", 42}, {"file_name", "000042.jpg"}, {"width", 200}, {"height", 100}},
                   {{"id", 43}, {"file_name", "000043.jpg"}, {"width", 100}, {"height", 100}}});
  // Crowd mask: rows 10..29 of columns 20..59 in a 100 x 100 image.
  std::vector<int64_t> runs;
  runs.push_back(20 * 100 + 10);
  for (int x = 20; x < 60; ++x) {
    runs.push_back(20);
    runs.push_back(x < 59 ? 80 : 100 * 100 - (59 * 100 + 30));
  }
  json annotations =
      json::array({{{"id", 1},
                    {"image_id", 42},
                    {"category_id", 7},
                    {"bbox", {20, 10, 40, 30}},
                    {"iscrowd", 0},
                    {"area", 1200},
                    // two parts, merged into one polygon
                    {"segmentation", {{20, 10, 30, 10, 30, 12}, {20, 10, 60, 10, 60, 40, 20, 40}}}},
                   {{"id", 2},
                    {"image_id", 42},
                    {"category_id", 1},
                    {"bbox", {0, 0, 50, 50}},
                    {"iscrowd", 0},
                    {"area", 2500},
                    {"segmentation", {{0, 0, 50, 0, 50, 50, 0, 50}}}},
                   {{"id", 3},
                    {"image_id", 42},
                    {"category_id", 3},
                    {"bbox", {5, 5, 0, 10}},
                    {"iscrowd", 0},
                    {"area", 0}},
                   {{"id", 4},
                    {"image_id", 43},
                    {"category_id", 3},
                    {"bbox", {20, 10, 40, 20}},
                    {"iscrowd", 1},
                    {"area", 800},
                    {"segmentation", {{"size", {100, 100}}, {"counts", rle_to_string(runs)}}}}});
  return {{"images", images}, {"annotations", annotations}, {"categories", categories}};
}

fs::path write_json(const fs::path& path, const json& j) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << j.dump(1);
  return path;
}

TEST(Coco, ReadsBoxesPolygonsCrowdRleAndCategories) {
  const fs::path dir = test::temp_dir("coco_read");
  const CocoDataset d =
      read_coco_json(write_json(dir / "instances.json", sample_json()), dir / "images");
  EXPECT_EQ(d.names, std::vector<std::string>({"one", "three", "seven"}));
  EXPECT_EQ(d.category_ids, std::vector<int>({1, 3, 7}));
  ASSERT_EQ(d.images.size(), 2u);
  EXPECT_EQ(d.image_ids, std::vector<int64_t>({42, 43}));
  EXPECT_EQ(d.images[0].image_path, (dir / "images" / "000042.jpg").string());
  const ImageLabels& a = d.images[0].labels;
  ASSERT_EQ(a.size(), 2u);  // the zero-width box is left out
  EXPECT_EQ(a.cls, std::vector<int>({2, 0}));
  EXPECT_FLOAT_EQ(a.boxes[0][0], 40.0f / 200);
  EXPECT_FLOAT_EQ(a.boxes[0][1], 25.0f / 100);
  EXPECT_FLOAT_EQ(a.boxes[0][2], 40.0f / 200);
  EXPECT_FLOAT_EQ(a.boxes[0][3], 30.0f / 100);
  ASSERT_EQ(a.segments.size(), 2u);
  // The two parts touch at (20, 10): each is closed and walked from there, 4 + 5 points.
  ASSERT_EQ(a.segments[0].size(), 9u);
  EXPECT_FLOAT_EQ(a.segments[0][2][0], 30.0f / 200);
  EXPECT_FLOAT_EQ(a.segments[0][2][1], 12.0f / 100);
  EXPECT_FLOAT_EQ(a.segments[0][5][0], 60.0f / 200);
  EXPECT_FLOAT_EQ(a.segments[0][8][0], 20.0f / 200);
  EXPECT_EQ(a.crowd, std::vector<bool>({false, false}));

  const ImageLabels& b = d.images[1].labels;
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b.crowd[0]);
  ASSERT_EQ(b.segments.size(), 1u);
  float x0 = 1, x1 = 0, y0 = 1, y1 = 0;
  for (const auto& p : b.segments[0]) {
    x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]), y0 = std::min(y0, p[1]),
    y1 = std::max(y1, p[1]);
  }
  // The traced outline runs through the mask's border pixels: columns 20..59, rows 10..29.
  EXPECT_NEAR(x0, 0.20f, 1e-6);
  EXPECT_NEAR(x1, 0.59f, 1e-6);
  EXPECT_NEAR(y0, 0.10f, 1e-6);
  EXPECT_NEAR(y1, 0.29f, 1e-6);
}

TEST(Coco, MergesThreePartsLikeJson2Yolo) {
  const json j = {
      {"images", {{{"id", 1}, {"file_name", "a.jpg"}, {"width", 100}, {"height", 100}}}},
      {"categories", {{{"id", 1}, {"name", "thing"}}}},
      {"annotations",
       {{{"id", 1},
         {"image_id", 1},
         {"category_id", 1},
         {"bbox", {0, 0, 90, 50}},
         {"iscrowd", 0},
         {"segmentation",
          {{0, 0, 10, 0, 10, 10, 0, 10},
           {50, 50, 40, 50, 40, 20, 50, 20, 52, 35},
           {80, 0, 90, 0, 90, 10}}}}}}};
  const fs::path dir = test::temp_dir("coco_merge");
  const CocoDataset d = read_coco_json(write_json(dir / "merge.json", j), dir);
  // Output of ultralytics' merge_multi_segment for these parts.
  const std::vector<float> expected = {10, 10, 0,  10, 0,  0,  10, 0,  10, 10, 40,
                                       20, 50, 20, 80, 0,  90, 0,  90, 10, 80, 0,
                                       50, 20, 52, 35, 50, 50, 40, 50, 40, 20};
  const Segment& merged = d.images[0].labels.segments.at(0);
  ASSERT_EQ(merged.size() * 2, expected.size());
  for (size_t i = 0; i < merged.size(); ++i) {
    EXPECT_FLOAT_EQ(merged[i][0] * 100, expected[2 * i]) << i;
    EXPECT_FLOAT_EQ(merged[i][1] * 100, expected[2 * i + 1]) << i;
  }
}

TEST(Coco, MalformedJsonNamesFileAndEntry) {
  const fs::path dir = test::temp_dir("coco_bad");
  json j = sample_json();
  j["annotations"][1]["category_id"] = 99;
  try {
    read_coco_json(write_json(dir / "bad.json", j), dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("annotations[1]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "broken.json") << "{\"images\": [";
  EXPECT_THROW(read_coco_json(dir / "broken.json", dir), Error);
}

TEST(Coco, FileNameThatIsNotUtf8IsAnErrorNamingIt) {
  const fs::path dir = test::temp_dir("coco_latin1");
  LabeledImage image;
  image.image_path = (dir / "images/caf\xe9.jpg").string();
  image.width = image.height = 32;
  try {
    write_coco_json(dir / "out.json", {image}, {"shirt"}, dir / "images");
    FAIL() << "a file name JSON cannot hold was written";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("caf\\xe9.jpg"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out.json"));
}

TEST(Coco, JsonToYoloToJsonRoundTrips) {
  const fs::path dir = test::temp_dir("coco_round_trip");
  const json original = sample_json();
  const fs::path json_in = write_json(dir / "annotations/instances.json", original);
  for (const auto& image : original["images"]) {
    fs::create_directories(dir / "images");
    cv::imwrite((dir / "images" / image["file_name"].get<std::string>()).string(),
                cv::Mat(image["height"].get<int>(), image["width"].get<int>(), CV_8UC3,
                        cv::Scalar(90, 90, 90)));
  }
  const CocoToYoloSummary summary = coco_to_yolo(json_in, dir / "labels", true);
  EXPECT_EQ(summary.images, 2);
  EXPECT_EQ(summary.labels, 2);
  EXPECT_EQ(summary.crowd_skipped, 1);
  EXPECT_TRUE(fs::exists(dir / "labels/000043.txt"));  // background image: empty file

  const CocoDataset in = read_coco_json(json_in, dir / "images");
  yolo_to_coco({dir / "images"}, in.names, dir / "round_trip.json", "labels", in.category_ids);
  const CocoDataset out = read_coco_json(dir / "round_trip.json", dir / "images");
  EXPECT_EQ(out.names, in.names);
  EXPECT_EQ(out.category_ids, in.category_ids);
  EXPECT_EQ(out.image_ids, in.image_ids);  // numeric stems
  ASSERT_EQ(out.images.size(), in.images.size());
  for (size_t i = 0; i < in.images.size(); ++i) {
    EXPECT_EQ(out.images[i].image_path, in.images[i].image_path);
    EXPECT_EQ(out.images[i].width, in.images[i].width);
    const ImageLabels& a = in.images[i].labels;
    const ImageLabels& b = out.images[i].labels;
    size_t kept = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      if (a.crowd[k]) continue;  // YOLO labels have no crowd regions
      ASSERT_LT(kept, b.size());
      EXPECT_EQ(b.cls[kept], a.cls[k]);
      for (int j = 0; j < 4; ++j) EXPECT_NEAR(b.boxes[kept][j], a.boxes[k][j], 1e-5);
      ASSERT_EQ(b.segments[kept].size(), a.segments[k].size());
      for (size_t p = 0; p < a.segments[k].size(); ++p) {
        EXPECT_NEAR(b.segments[kept][p][0], a.segments[k][p][0], 1e-5);
        EXPECT_NEAR(b.segments[kept][p][1], a.segments[k][p][1], 1e-5);
      }
      ++kept;
    }
    EXPECT_EQ(kept, b.size());
  }
  // Areas are recomputed from the merged polygon: 40 x 30 rectangle + 10 px^2 triangle.
  std::ifstream file(dir / "round_trip.json");
  const json written = json::parse(file);
  EXPECT_DOUBLE_EQ(written["annotations"][0]["area"].get<double>(), 1210.0);
  EXPECT_EQ(written["annotations"][0]["category_id"].get<int>(), 7);
}

}  // namespace
}  // namespace qyolo::data
