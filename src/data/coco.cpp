#include "qyolo/data/coco.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "qyolo/core/error.h"
#include "qyolo/data/byte_text.h"
#include "qyolo/data/mask_polygon.h"
#include "qyolo/data/yolo_dataset.h"

namespace qyolo::data {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

double round_to(double value, double step) { return std::round(value / step) * step; }

// A polygon part given in pixels as [x1, y1, x2, y2, ...].
std::vector<cv::Point2f> polygon_part(const json& flat) {
  std::vector<cv::Point2f> points;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    points.emplace_back(flat[i].get<float>(), flat[i + 1].get<float>());
  }
  return points;
}

// The closest pair of points between two polygons (the first one in row-major order on ties).
std::pair<size_t, size_t> closest_points(const std::vector<cv::Point2f>& a,
                                         const std::vector<cv::Point2f>& b) {
  std::pair<size_t, size_t> best{0, 0};
  float best_distance = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < b.size(); ++j) {
      const cv::Point2f d = a[i] - b[j];
      const float distance = d.x * d.x + d.y * d.y;
      if (distance < best_distance) {
        best_distance = distance;
        best = {i, j};
      }
    }
  }
  return best;
}

// One polygon from a multi-part segmentation, as ultralytics JSON2YOLO merge_multi_segment
// builds it: consecutive parts are joined at their closest points by a thin two-way seam, the
// chain is walked forward through the first halves of the middle parts and back through their
// second halves.
std::vector<cv::Point2f> merge_parts(std::vector<std::vector<cv::Point2f>> parts) {
  const size_t n = parts.size();
  if (n == 1) return parts.front();
  std::vector<std::vector<size_t>> links(n);
  for (size_t i = 1; i < n; ++i) {
    const auto [a, b] = closest_points(parts[i - 1], parts[i]);
    links[i - 1].push_back(a);
    links[i].push_back(b);
  }
  std::vector<cv::Point2f> merged;
  for (size_t i = 0; i < n; ++i) {
    std::vector<size_t> link = links[i];
    std::vector<cv::Point2f>& part = parts[i];
    if (link.size() == 2 && link[0] > link[1]) {
      // As the reference: the part is reversed but the seam indices are only swapped.
      std::swap(link[0], link[1]);
      std::reverse(part.begin(), part.end());
    }
    std::rotate(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(link[0]), part.end());
    part.push_back(part.front());
    const size_t end = (i == 0 || i == n - 1) ? part.size() : link[1] - link[0] + 1;
    merged.insert(merged.end(), part.begin(), part.begin() + static_cast<std::ptrdiff_t>(end));
  }
  for (size_t i = n - 1; i-- > 1;) {
    const size_t skip =
        links[i][1] > links[i][0] ? links[i][1] - links[i][0] : links[i][0] - links[i][1];
    merged.insert(merged.end(), parts[i].begin() + static_cast<std::ptrdiff_t>(skip),
                  parts[i].end());
  }
  return merged;
}

// The polygon of an annotation's segmentation in pixels: its parts merged into one, or the
// largest outline of its RLE mask. Empty when there is none.
std::vector<cv::Point2f> segmentation_polygon(const json& segmentation) {
  std::vector<cv::Point2f> polygon;
  if (segmentation.is_array()) {
    std::vector<std::vector<cv::Point2f>> parts;
    for (const json& part : segmentation) {
      std::vector<cv::Point2f> points = polygon_part(part);
      if (!points.empty()) parts.push_back(std::move(points));
    }
    if (!parts.empty()) polygon = merge_parts(std::move(parts));
    if (polygon.size() < 3) polygon.clear();
  } else if (segmentation.is_object()) {
    const int height = segmentation.at("size").at(0).get<int>();
    const int width = segmentation.at("size").at(1).get<int>();
    const json& counts = segmentation.at("counts");
    const cv::Mat mask =
        decode_rle(counts.is_string() ? rle_counts_from_string(counts.get<std::string>())
                                      : counts.get<std::vector<uint32_t>>(),
                   height, width);
    for (const cv::Point& p : mask_to_polygon(mask, 1.0)) polygon.emplace_back(p);
  }
  return polygon;
}

json read_json(const fs::path& path) {
  std::ifstream file(path);
  if (!file) throw Error(SourceLocation{path.string()}, "cannot open the COCO json file");
  try {
    return json::parse(file);
  } catch (const json::parse_error& e) {
    throw Error(SourceLocation{path.string()}, std::string("not valid json: ") + e.what());
  }
}

// Image id as ultralytics val.py derives it: the numeric file stem, else the position.
int64_t image_id_for(const fs::path& image, size_t position) {
  const std::string stem = image.stem().string();
  const bool numeric =
      !stem.empty() && stem.size() < 18 &&
      std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
  return numeric ? std::stoll(stem) : static_cast<int64_t>(position + 1);
}

}  // namespace

const std::vector<int>& coco80_to_91() {
  // COCO's 91 category ids with the 11 unused ones left out.
  static const std::vector<int> ids = [] {
    std::vector<int> v;
    for (int id = 1; id <= 90; ++id) {
      if (id != 12 && id != 26 && id != 29 && id != 30 && id != 45 && id != 66 && id != 68 &&
          id != 69 && id != 71 && id != 83) {
        v.push_back(id);
      }
    }
    return v;
  }();
  return ids;
}

std::vector<uint32_t> rle_counts_from_string(const std::string& compressed) {
  // cocoapi's compact form: each count in 5-bit groups (ASCII 48 + bits, 0x20 = more follows),
  // sign-extended, and from the third on stored as the difference to the count two before.
  std::vector<uint32_t> counts;
  size_t p = 0;
  while (p < compressed.size()) {
    int64_t value = 0;
    int shift = 0;
    bool more = true;
    while (more) {
      if (p >= compressed.size()) throw Error("COCO RLE string ends inside a count");
      const int c = compressed[p++] - 48;
      value |= static_cast<int64_t>(c & 0x1f) << shift;
      more = (c & 0x20) != 0;
      shift += 5;
      if (!more && (c & 0x10)) value |= -(int64_t{1} << shift);
    }
    if (counts.size() > 2) value += counts[counts.size() - 2];
    if (value < 0) throw Error("COCO RLE string decodes to a negative count");
    counts.push_back(static_cast<uint32_t>(value));
  }
  return counts;
}

cv::Mat decode_rle(const std::vector<uint32_t>& counts, int height, int width) {
  std::vector<uint8_t> column_major(static_cast<size_t>(height) * width, 0);
  size_t pos = 0;
  uint8_t value = 0;
  for (uint32_t run : counts) {
    if (pos + run > column_major.size()) {
      throw Error("COCO RLE counts cover more than the " + std::to_string(height) + "x" +
                  std::to_string(width) + " mask");
    }
    std::fill_n(column_major.begin() + static_cast<std::ptrdiff_t>(pos), run, value);
    pos += run;
    value = 1 - value;
  }
  cv::Mat mask(height, width, CV_8U);
  for (int x = 0; x < width; ++x) {
    for (int y = 0; y < height; ++y)
      mask.at<uint8_t>(y, x) = column_major[static_cast<size_t>(x) * height + y];
  }
  return mask;
}

CocoDataset read_coco_json(const fs::path& json_path, const fs::path& image_dir) {
  const json root = read_json(json_path);
  CocoDataset dataset;
  std::string entry;  // the json entry being read, for error messages
  try {
    entry = "categories";
    std::vector<std::pair<int, std::string>> categories;
    for (const json& c : root.at("categories")) {
      categories.emplace_back(c.at("id").get<int>(), c.at("name").get<std::string>());
    }
    std::sort(categories.begin(), categories.end());
    std::map<int, int> class_of;
    for (const auto& [id, name] : categories) {
      class_of[id] = static_cast<int>(dataset.names.size());
      dataset.names.push_back(name);
      dataset.category_ids.push_back(id);
    }
    std::map<int64_t, size_t> index_of;
    const json& images = root.at("images");
    for (size_t i = 0; i < images.size(); ++i) {
      entry = "images[" + std::to_string(i) + "]";
      LabeledImage image;
      image.image_path = (image_dir / images[i].at("file_name").get<std::string>()).string();
      image.width = images[i].at("width").get<int>();
      image.height = images[i].at("height").get<int>();
      const int64_t id = images[i].at("id").get<int64_t>();
      index_of[id] = dataset.images.size();
      dataset.images.push_back(std::move(image));
      dataset.image_ids.push_back(id);
    }
    std::vector<bool> any_polygon(dataset.images.size(), false);
    std::vector<std::vector<bool>> has_polygon(dataset.images.size());
    const json empty = json::array();
    const json& annotations = root.contains("annotations") ? root.at("annotations") : empty;
    for (size_t a = 0; a < annotations.size(); ++a) {
      entry = "annotations[" + std::to_string(a) + "]";
      const json& ann = annotations[a];
      const auto image = index_of.find(ann.at("image_id").get<int64_t>());
      if (image == index_of.end()) throw std::out_of_range("image_id names no image");
      const auto cls = class_of.find(ann.at("category_id").get<int>());
      if (cls == class_of.end()) throw std::out_of_range("category_id names no category");
      const auto bbox = ann.at("bbox").get<std::array<double, 4>>();
      if (bbox[2] <= 0 || bbox[3] <= 0) continue;  // as JSON2YOLO: no empty boxes
      LabeledImage& item = dataset.images[image->second];
      const double w = item.width, h = item.height;
      item.labels.cls.push_back(cls->second);
      item.labels.boxes.push_back({static_cast<float>((bbox[0] + bbox[2] / 2) / w),
                                   static_cast<float>((bbox[1] + bbox[3] / 2) / h),
                                   static_cast<float>(bbox[2] / w),
                                   static_cast<float>(bbox[3] / h)});
      item.labels.crowd.push_back(ann.value("iscrowd", 0) != 0);
      Segment segment;
      if (ann.contains("segmentation")) {
        for (const cv::Point2f& p : segmentation_polygon(ann["segmentation"])) {
          segment.push_back({static_cast<float>(p.x / w), static_cast<float>(p.y / h)});
        }
      }
      has_polygon[image->second].push_back(!segment.empty());
      if (!segment.empty()) any_polygon[image->second] = true;
      item.labels.segments.push_back(std::move(segment));
    }
    // Polygons are all or nothing per image: an instance without one gets its box outline.
    for (size_t i = 0; i < dataset.images.size(); ++i) {
      ImageLabels& labels = dataset.images[i].labels;
      if (!any_polygon[i]) {
        labels.segments.clear();
        continue;
      }
      for (size_t k = 0; k < labels.size(); ++k) {
        if (has_polygon[i][k]) continue;
        const auto& b = labels.boxes[k];
        const float x0 = b[0] - b[2] / 2, y0 = b[1] - b[3] / 2, x1 = b[0] + b[2] / 2,
                    y1 = b[1] + b[3] / 2;
        labels.segments[k] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
      }
    }
  } catch (const json::exception& e) {
    throw Error(SourceLocation{json_path.string()}, entry + ": " + e.what());
  } catch (const std::out_of_range& e) {
    throw Error(SourceLocation{json_path.string()}, entry + ": " + e.what());
  } catch (const Error& e) {
    throw Error(SourceLocation{json_path.string()}, entry + ": " + e.what());
  }
  return dataset;
}

void write_coco_json(const fs::path& json_path, const std::vector<LabeledImage>& images,
                     const std::vector<std::string>& names, const fs::path& image_dir,
                     const std::vector<int>& category_ids) {
  TORCH_CHECK(category_ids.empty() || category_ids.size() == names.size(),
              "write_coco_json: one category id per name");
  json out_images = json::array();
  json annotations = json::array();
  int64_t annotation_id = 1;
  for (size_t i = 0; i < images.size(); ++i) {
    const LabeledImage& image = images[i];
    TORCH_CHECK(image.width > 0 && image.height > 0, "write_coco_json: image size unknown");
    const int64_t id = image_id_for(image.image_path, i);
    const std::string file_name = fs::path(image.image_path).lexically_relative(image_dir).string();
    if (!is_utf8(file_name)) {
      throw Error(SourceLocation{image.image_path},
                  "the file name '" + escape_bytes(file_name) +
                      "' is not UTF-8, which a COCO json file cannot hold; rename the file");
    }
    out_images.push_back(
        {{"id", id}, {"file_name", file_name}, {"width", image.width}, {"height", image.height}});
    const double w = image.width, h = image.height;
    const ImageLabels& labels = image.labels;
    for (size_t k = 0; k < labels.size(); ++k) {
      const auto& b = labels.boxes[k];
      const double bw = b[2] * w, bh = b[3] * h;
      json annotation = {
          {"id", annotation_id++},
          {"image_id", id},
          {"category_id",
           category_ids.empty() ? labels.cls[k] : category_ids[static_cast<size_t>(labels.cls[k])]},
          {"bbox",
           {round_to(b[0] * w - bw / 2, 0.01), round_to(b[1] * h - bh / 2, 0.01),
            round_to(bw, 0.01), round_to(bh, 0.01)}},
          {"iscrowd", !labels.crowd.empty() && labels.crowd[k] ? 1 : 0}};
      double area = bw * bh;
      if (labels.segments.size() == labels.size() && labels.segments[k].size() >= 3) {
        std::vector<cv::Point2f> pixels;
        json flat = json::array();
        for (const auto& p : labels.segments[k]) {
          pixels.emplace_back(static_cast<float>(p[0] * w), static_cast<float>(p[1] * h));
          flat.push_back(round_to(p[0] * w, 0.01));
          flat.push_back(round_to(p[1] * h, 0.01));
        }
        area = polygon_area(pixels);
        annotation["segmentation"] = json::array({flat});
      } else {
        annotation["segmentation"] = json::array();
      }
      annotation["area"] = round_to(area, 0.01);
      annotations.push_back(std::move(annotation));
    }
  }
  json categories = json::array();
  for (size_t c = 0; c < names.size(); ++c) {
    categories.push_back({{"id", category_ids.empty() ? static_cast<int>(c) : category_ids[c]},
                          {"name", names[c]},
                          {"supercategory", ""}});
  }
  const json root = {{"info", {{"description", "written by qyolo"}}},
                     {"images", out_images},
                     {"annotations", annotations},
                     {"categories", categories}};
  if (!json_path.parent_path().empty()) fs::create_directories(json_path.parent_path());
  std::ofstream file(json_path, std::ios::trunc);
  file << root.dump();
  if (!file) throw Error(SourceLocation{json_path.string()}, "cannot write the COCO json file");
}

CocoToYoloSummary coco_to_yolo(const fs::path& json_path, const fs::path& labels_dir,
                               bool segments) {
  const CocoDataset dataset = read_coco_json(json_path, "");
  CocoToYoloSummary summary;
  for (const LabeledImage& image : dataset.images) {
    ImageLabels kept;
    const ImageLabels& all = image.labels;
    for (size_t k = 0; k < all.size(); ++k) {
      if (all.crowd[k]) {
        ++summary.crowd_skipped;
        continue;
      }
      kept.cls.push_back(all.cls[k]);
      kept.boxes.push_back(all.boxes[k]);
      if (!all.segments.empty()) kept.segments.push_back(all.segments[k]);
    }
    write_yolo_labels(labels_dir / fs::path(image.image_path).filename().replace_extension(".txt"),
                      kept, segments);
    ++summary.images;
    summary.labels += static_cast<int>(kept.size());
  }
  spdlog::info("{} -> {}: {} images, {} labels, {} crowd annotations skipped", json_path.string(),
               labels_dir.string(), summary.images, summary.labels, summary.crowd_skipped);
  return summary;
}

void yolo_to_coco(const std::vector<fs::path>& image_sources, const std::vector<std::string>& names,
                  const fs::path& json_path, const std::string& labels_dir,
                  const std::vector<int>& category_ids) {
  ScanOptions options;
  options.nc = static_cast<int>(names.size());
  options.labels_dir = labels_dir;
  options.cache = false;
  const ScanResult scan = scan_yolo_dataset(image_sources, options);
  write_coco_json(json_path, scan.images, names,
                  fs::path(scan.images.front().image_path).parent_path(), category_ids);
}

}  // namespace qyolo::data
