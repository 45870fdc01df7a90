// YOLO txt data sets: image listing, the images -> labels rule, label parsing, bad-input
// accounting (skip + count, strict = error), the label cache and data yaml loading.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "qyolo/data/data_yaml.h"
#include "qyolo/data/image_check.h"
#include "qyolo/data/yolo_dataset.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {
namespace fs = std::filesystem;


void write_image(const fs::path& path, int w = 64, int h = 48) {
  fs::create_directories(path.parent_path());
  cv::Mat image(h, w, CV_8UC3, cv::Scalar(40, 120, 200));
  cv::rectangle(image, {5, 5}, {30, 30}, cv::Scalar(255, 255, 255), -1);
  ASSERT_TRUE(cv::imwrite(path.string(), image));
}

// A split with one good image plus whatever the test adds.
fs::path good_split(const std::string& tag) {
  const fs::path root = test::temp_dir(tag);
  write_image(root / "images/train/good.jpg");
  test::write_text(root / "labels/train/good.txt", "0 0.5 0.5 0.25 0.5\n1 0.2 0.3 0.1 0.1\n");
  return root;
}

ScanOptions options_for(int nc, bool strict) {
  ScanOptions o;
  o.nc = nc;
  o.strict = strict;
  o.cache = false;
  return o;
}

TEST(Datasets, ImageToLabelPathReplacesTheLastImagesFolder) {
  EXPECT_EQ(image_to_label_path("/d/images/x/images/train/a.b.jpg"),
            fs::path("/d/images/x/labels/train/a.b.txt"));
  EXPECT_EQ(image_to_label_path("/d/images/val/a.png", "labels-seg"),
            fs::path("/d/labels-seg/val/a.txt"));
}

TEST(Datasets, ListsFoldersTxtListsFilesAndGlobs) {
  const fs::path root = test::temp_dir("datasets_list");
  write_image(root / "images/train/b.jpg");
  write_image(root / "images/train/sub/a.png");
  test::write_text(root / "images/train/notes.md", "not an image");
  test::write_text(root / "train.txt", "./images/train/b.jpg\n\nimages/train/sub/a.png\n");
  const std::vector<fs::path> all = list_images({root / "images/train"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].filename(), "b.jpg");
  EXPECT_EQ(list_images({root / "train.txt"}).size(), 2u);
  EXPECT_EQ(list_images({root / "images/train/*.jpg"}).size(), 1u);
  EXPECT_EQ(list_images({root / "images/train/**/*.png"}).size(), 1u);
  EXPECT_EQ(list_images({root / "images/train/b.jpg"}).size(), 1u);

  try {
    list_images({root / "images/missing"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("images/missing"), std::string::npos) << e.what();
  }
  fs::create_directories(root / "empty");
  try {
    list_images({root / "empty"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}

TEST(Datasets, ParsesBoxesAndPolygonsWithBoxesFromPolygonBounds) {
  BadInputLog log(true);
  const ImageLabels boxes =
      parse_yolo_labels("3 0.5 0.5 0.2 0.4\n\n1 0.1 0.2 0.1 0.1\n", "a.txt", 5, log);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes.cls, std::vector<int>({3, 1}));
  EXPECT_TRUE(boxes.segments.empty());

  const ImageLabels polygons = parse_yolo_labels("2 0.1 0.2 0.5 0.2 0.3 0.6\n", "b.txt", 5, log);
  ASSERT_EQ(polygons.size(), 1u);
  ASSERT_EQ(polygons.segments.size(), 1u);
  EXPECT_EQ(polygons.segments[0].size(), 3u);
  EXPECT_FLOAT_EQ(polygons.boxes[0][0], 0.3f);
  EXPECT_FLOAT_EQ(polygons.boxes[0][1], 0.4f);
  EXPECT_FLOAT_EQ(polygons.boxes[0][2], 0.4f);
  EXPECT_FLOAT_EQ(polygons.boxes[0][3], 0.4f);

  // As ultralytics, the range check applies to the polygon's box: a point just past the
  // border passes, a polygon whose box leaves [0, 1] does not.
  const ImageLabels tolerated = parse_yolo_labels("0 -0.01 0.2 0.5 0.2 0.3 0.6\n", "c.txt", 5, log);
  ASSERT_EQ(tolerated.size(), 1u);
  EXPECT_FLOAT_EQ(tolerated.segments[0][0][0], -0.01f);
  EXPECT_THROW(parse_yolo_labels("0 -0.9 0.2 0.5 0.2 0.3 0.6\n", "c.txt", 5, log), Error);
}

TEST(Datasets, RemovesDuplicateRowsWithAWarningEvenWhenStrict) {
  BadInputLog log(true);
  const ImageLabels labels = parse_yolo_labels(
      "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n", "d.txt", 2, log);
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_EQ(log.counts().duplicates_removed, 1);
  EXPECT_FALSE(log.counts().any_problem());
}

struct BadCase {
  std::string name;
  bool image_problem;  // else a label line problem
  std::function<void(const fs::path& root)> make;
};

std::vector<BadCase> bad_cases() {
  auto label = [](const std::string& text) {
    return [text](const fs::path& root) {
      write_image(root / "images/train/bad.jpg");
      test::write_text(root / "labels/train/bad.txt", "0 0.5 0.5 0.2 0.2\n" + text);
    };
  };
  return {
      {"truncated_jpeg", true,
       [](const fs::path& root) {
         write_image(root / "images/train/bad.jpg");
         const fs::path p = root / "images/train/bad.jpg";
         fs::resize_file(p, fs::file_size(p) - 30);
       }},
      {"corrupt_image", true,
       [](const fs::path& root) {
         test::write_text(root / "images/train/bad.png", "definitely not a png");
       }},
      {"unreadable_empty_image", true,
       [](const fs::path& root) { test::write_text(root / "images/train/bad.jpg", ""); }},
      {"too_small_image", true,
       [](const fs::path& root) { write_image(root / "images/train/bad.png", 8, 8); }},
      {"wrong_column_count", false, label("1 0.5 0.5 0.2\n")},
      {"not_numbers", false, label("1 0.5 x 0.2 0.2\n")},
      {"class_out_of_range", false, label("7 0.5 0.5 0.2 0.2\n")},
      {"coordinate_outside_unit_range", false, label("1 0.5 1.5 0.2 0.2\n")},
      {"degenerate_segment", false,
       [](const fs::path& root) {
         write_image(root / "images/train/bad.jpg");
         // A good polygon, then one whose points lie on a line.
         test::write_text(root / "labels/train/bad.txt",
                    "0 0.1 0.1 0.4 0.1 0.3 0.5\n1 0.1 0.5 0.4 0.5 0.7 0.5\n");
       }},
      {"degenerate_box", false, label("1 0.5 0.5 0.0 0.2\n")},
  };
}

TEST(Datasets, EachBadInputIsCountedAndSkippedAndFailsUnderStrict) {
  for (const BadCase& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    const fs::path root = good_split("datasets_bad_" + c.name);
    c.make(root);
    const ScanResult result = scan_yolo_dataset({root / "images/train"}, options_for(3, false));
    EXPECT_EQ(result.counts.images_skipped, c.image_problem ? 1 : 0);
    EXPECT_EQ(result.counts.lines_dropped, c.image_problem ? 0 : 1);
    EXPECT_EQ(result.images.size(), c.image_problem ? 1u : 2u);
    if (!c.image_problem) {
      // The bad line goes, the good line of the same file stays.
      EXPECT_EQ(result.images[0].labels.size(), 1u);
    }
    EXPECT_NE(result.summary.find("see log"), std::string::npos);
    try {
      scan_yolo_dataset({root / "images/train"}, options_for(3, true));
      ADD_FAILURE() << "strict scan did not throw";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad."), std::string::npos)
          << e.what();  // names the file
      if (!c.image_problem)
        EXPECT_NE(std::string(e.what()).find("bad.txt:2"), std::string::npos) << e.what();
    }
  }
}

TEST(Datasets, SummaryCountsAllProblemsOfASplit) {
  const fs::path root = good_split("datasets_summary");
  test::write_text(root / "images/train/broken1.jpg", "x");
  test::write_text(root / "images/train/broken2.png", "y");
  write_image(root / "images/train/tiny.jpg", 5, 5);
  write_image(root / "images/train/labels_bad.jpg");
  test::write_text(root / "labels/train/labels_bad.txt",
             "0 0.5 0.5 0.2\n9 0.5 0.5 0.2 0.2\n0 2 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1 0.1 0.1\n0 -0.1 "
             "0.5 0.2 0.2\n");
  write_image(root / "images/train/background.jpg");
  const ScanResult result = scan_yolo_dataset({root / "images/train"}, options_for(3, false));
  EXPECT_EQ(result.summary, "3 images skipped, 5 label lines dropped: see log");
  EXPECT_EQ(result.images.size(), 3u);
  EXPECT_EQ(result.counts.missing_labels, 1);
  EXPECT_EQ(result.counts.empty_labels, 1);  // labels_bad lost every line
}

TEST(Datasets, EmptyOrAllBadDataSetIsAnErrorNamingThePath) {
  const fs::path root = test::temp_dir("datasets_all_bad");
  test::write_text(root / "images/val/a.jpg", "junk");
  try {
    scan_yolo_dataset({root / "images/val"}, options_for(3, false));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("images/val"), std::string::npos) << e.what();
  }
}

TEST(Datasets, CacheIsReusedAndRefreshedWhenAFileChanges) {
  const fs::path root = good_split("datasets_cache");
  test::write_text(root / "images/train/bad.jpg", "junk");
  ScanOptions options = options_for(3, false);
  options.cache = true;
  const ScanResult first = scan_yolo_dataset({root / "images/train"}, options);
  ASSERT_EQ(first.cache_path, root / "labels/train.cache");
  ASSERT_TRUE(fs::exists(first.cache_path));
  const auto written = fs::last_write_time(first.cache_path);

  const ScanResult second = scan_yolo_dataset({root / "images/train"}, options);
  EXPECT_EQ(fs::last_write_time(first.cache_path), written);  // nothing changed: not rewritten
  EXPECT_EQ(second.counts.images_skipped, 1);                 // cached problems are reported again
  ASSERT_EQ(second.images.size(), 1u);
  EXPECT_EQ(second.images[0].labels.boxes, first.images[0].labels.boxes);
  EXPECT_EQ(second.images[0].width, 64);
  options.strict = true;
  EXPECT_THROW(scan_yolo_dataset({root / "images/train"}, options), Error);
  options.strict = false;

  test::write_text(root / "labels/train/good.txt", "2 0.5 0.5 0.125 0.125\n");
  const ScanResult third = scan_yolo_dataset({root / "images/train"}, options);
  ASSERT_EQ(third.images.size(), 1u);
  EXPECT_EQ(third.images[0].labels.cls, std::vector<int>({2}));
}

TEST(Datasets, ImageCheckReadsSizesAndRejectsBadFiles) {
  const fs::path root = test::temp_dir("datasets_image_check");
  write_image(root / "a.jpg", 70, 30);
  write_image(root / "b.png", 33, 44);
  const ImageCheck jpg = check_image(root / "a.jpg");
  EXPECT_TRUE(jpg.ok()) << jpg.problem;
  EXPECT_EQ(jpg.width, 70);
  EXPECT_EQ(jpg.height, 30);
  const ImageCheck png = check_image(root / "b.png");
  EXPECT_EQ(png.width, 33);
  EXPECT_EQ(png.height, 44);
  EXPECT_FALSE(check_image(root / "missing.jpg").ok());
  EXPECT_TRUE(is_image_file("x.JPG"));
  EXPECT_FALSE(is_image_file("x.txt"));
}

TEST(DataYaml, LoadsListAndMapNamesAndResolvesPaths) {
  const fs::path root = test::temp_dir("data_yaml");
  fs::create_directories(root / "set/images/train");
  test::write_text(root / "a.yaml",
             "path: set\ntrain: images/train\nval: [images/val, extra.txt]\nnames: [cat, dog]\n");
  const DataYaml a = load_data_yaml(root / "a.yaml");
  EXPECT_EQ(a.nc, 2);
  EXPECT_EQ(a.names, std::vector<std::string>({"cat", "dog"}));
  EXPECT_EQ(a.train, std::vector<fs::path>({root / "set/images/train"}));
  ASSERT_EQ(a.val.size(), 2u);
  EXPECT_EQ(a.val[1], root / "set/extra.txt");
  EXPECT_THROW(require_dataset(a), Error);  // images/val does not exist

  test::write_text(root / "b.yaml",
             "path: /abs\ntrain: t\nval: v\nnc: 3\nnames:\n  0: a\n  1: b\n  2: c\ndownload: x\n");
  const DataYaml b = load_data_yaml(root / "b.yaml");
  EXPECT_EQ(b.names, std::vector<std::string>({"a", "b", "c"}));
  EXPECT_EQ(b.val, std::vector<fs::path>({"/abs/v"}));
}

void expect_usage_error(const fs::path& file, const std::string& text,
                        const std::string& fragment) {
  test::write_text(file, text);
  try {
    load_data_yaml(file);
    ADD_FAILURE() << "no error for: " << text;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(DataYaml, ErrorsNameFileLineKeyGivenAndAllowed) {
  const fs::path f = test::temp_dir("data_yaml_errors") / "d.yaml";
  expect_usage_error(f, "train: t\nval: v\nnames: [a]\ncolour: red\n", ":4:1");
  expect_usage_error(f, "train: t\nval: v\nnames: [a]\ncolour: red\n", "allowed: path, train, val");
  expect_usage_error(f, "train: t\nval: v\nnc: 3\nnames: [a, b]\n", "nc is 3");
  expect_usage_error(f, "train: t\nval: v\nnc: many\nnames: [a]\n", "given 'many'");
  expect_usage_error(f, "train: t\nval: v\nnames: {0: a, 2: c}\n", "without gaps");
  expect_usage_error(f, "train: t\nnames: [a]\n", "'val'");
  expect_usage_error(f, "train: [t\n", "not valid YAML");
}

}  // namespace
}  // namespace qyolo::data
