// COCO instances json (cocodataset/cocoapi format): reading into LabeledImage lists, writing
// from them, and conversion to and from YOLO txt labels.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "qyolo/data/labels.h"

namespace qyolo::data {

// ultralytics coco80_to_coco91_class: the COCO category id of each of the 80 class indices.
const std::vector<int>& coco80_to_91();

struct CocoDataset {
  std::vector<std::string> names;    // class names; class index = rank of the category id
  std::vector<int> category_ids;     // json category id of each class index
  std::vector<LabeledImage> images;  // in json order; crowd flags set, crowd polygons from RLE
  std::vector<int64_t> image_ids;    // json image id of each entry of `images`
};

// Reads an instances json. Image paths are `image_dir` / file_name. Multi-part polygons are
// merged into one as ultralytics JSON2YOLO does; RLE masks (crowd) are decoded and traced;
// boxes come from "bbox". Throws qyolo::Error naming the file and the offending entry for
// malformed json.
CocoDataset read_coco_json(const std::filesystem::path& json_path,
                           const std::filesystem::path& image_dir);

// Decodes a COCO run-length encoding (column-major counts, as a list or the compressed string
// of cocoapi's maskApi) into an h x w CV_8U mask of 0/1.
cv::Mat decode_rle(const std::vector<uint32_t>& counts, int height, int width);
std::vector<uint32_t> rle_counts_from_string(const std::string& compressed);

// Writes `images` (sizes must be known) as an instances json: boxes and polygons in pixels,
// area = polygon area (box area without a polygon), iscrowd from the crowd flags, file_name
// relative to `image_dir`, image id = the file stem when numeric (as ultralytics val.py) else
// the 1-based position. Category ids are the class indices unless `category_ids` is given.
void write_coco_json(const std::filesystem::path& json_path,
                     const std::vector<LabeledImage>& images, const std::vector<std::string>& names,
                     const std::filesystem::path& image_dir,
                     const std::vector<int>& category_ids = {});

struct CocoToYoloSummary {
  int images = 0;
  int labels = 0;         // label rows written
  int crowd_skipped = 0;  // iscrowd annotations (YOLO labels have no crowd notion)
};

// Writes one YOLO txt file per image into `labels_dir` (named after the image stem): polygons
// when `segments`, boxes otherwise; crowd annotations are skipped as ultralytics JSON2YOLO does.
CocoToYoloSummary coco_to_yolo(const std::filesystem::path& json_path,
                               const std::filesystem::path& labels_dir, bool segments);

// Scans a YOLO split (see scan_yolo_dataset) and writes it as an instances json; category ids
// as in write_coco_json (coco80_to_91() for COCO).
void yolo_to_coco(const std::vector<std::filesystem::path>& image_sources,
                  const std::vector<std::string>& names, const std::filesystem::path& json_path,
                  const std::string& labels_dir = "labels",
                  const std::vector<int>& category_ids = {});

}  // namespace qyolo::data
