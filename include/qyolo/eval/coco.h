// COCO annotation files and detection results, read with pycocotools' rules (COCO, loadRes).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qyolo/eval/rle.h"

namespace qyolo::eval {

struct CocoImage {
  int64_t id = 0;
  int64_t width = 0, height = 0;
  std::string file_name;
};

struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

struct CocoAnnotation {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox{0, 0, 0, 0};  // x, y, w, h
  double area = 0;
  bool iscrowd = false;
  double score = 0;  // results only
  // Polygons, uncompressed or compressed RLE, as written; null when absent.
  nlohmann::json segmentation;
};

class CocoDataset {
 public:
  CocoDataset() = default;
  // An annotations file (instances_*.json). Throws qyolo::Error naming the file and key.
  static CocoDataset load(const std::filesystem::path& annotations_json);
  static CocoDataset from_json(nlohmann::json document, const std::string& origin = "json");

  // Detection results against this ground truth (pycocotools loadRes): ids 1..n in file order,
  // iscrowd 0; with a bbox (first result decides) area = w*h and a missing segmentation becomes
  // the box polygon, otherwise area and bbox come from the RLE. Images must exist here.
  // The file is read one result at a time, so a large file is never held as a JSON tree.
  CocoDataset load_results(const std::filesystem::path& results_json) const;
  CocoDataset results_from_json(nlohmann::json results,
                                const std::string& origin = "results") const;

  const std::vector<CocoImage>& images() const { return images_; }
  const std::vector<CocoCategory>& categories() const { return categories_; }
  const std::vector<CocoAnnotation>& annotations() const { return annotations_; }
  const CocoImage* image(int64_t id) const;

  // Ids sorted ascending, as COCOeval's params take them.
  std::vector<int64_t> image_ids() const;
  std::vector<int64_t> category_ids() const;

  // The annotation as an RLE of its image size (polygons rasterised and merged), annToRLE.
  Rle annotation_rle(const CocoAnnotation& annotation) const;

 private:
  void index();
  // A results set over this ground truth's images and categories, with no annotations yet.
  CocoDataset empty_results(const std::string& origin) const;
  // Appends result number `i` (0-based) of `origin`, read against the annotations file
  // `ground_truth`; `from_boxes` is decided by the first result.
  void add_result(nlohmann::json& result, size_t i, const std::string& origin,
                  const std::string& ground_truth, bool from_boxes);

  std::string origin_;
  std::vector<CocoImage> images_;
  std::vector<CocoCategory> categories_;
  std::vector<CocoAnnotation> annotations_;
  std::unordered_map<int64_t, size_t> image_index_;
};

}  // namespace qyolo::eval
