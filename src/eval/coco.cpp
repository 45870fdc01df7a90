#include "qyolo/eval/coco.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "qyolo/core/error.h"

namespace qyolo::eval {

namespace {

using nlohmann::json;

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(SourceLocation{path.string()}, "cannot open the COCO json file");
  }
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw UsageError(SourceLocation{path.string()},
                     std::string("not valid JSON (") + e.what() + ")");
  }
}

[[noreturn]] void bad(const std::string& origin, const std::string& where,
                      const std::string& problem) {
  throw UsageError(SourceLocation{origin}, where + ": " + problem);
}

const json& require(const json& object, const char* key, const std::string& origin,
                    const std::string& where) {
  if (!object.is_object()) {
    bad(origin, where, "expected an object, got " + std::string(object.type_name()));
  }
  auto it = object.find(key);
  if (it == object.end()) {
    bad(origin, where, std::string("missing key '") + key + "'");
  }
  return *it;
}

int64_t get_int(const json& object, const char* key, const std::string& origin,
                const std::string& where) {
  const json& v = require(object, key, origin, where);
  if (!v.is_number()) {
    bad(origin, where + "." + key, "expected a number, got " + v.dump());
  }
  return v.get<int64_t>();
}

double get_number(const json& object, const char* key, const std::string& origin,
                  const std::string& where) {
  const json& v = require(object, key, origin, where);
  if (!v.is_number()) {
    bad(origin, where + "." + key, "expected a number, got " + v.dump());
  }
  return v.get<double>();
}

std::array<double, 4> get_box(const json& v, const std::string& origin, const std::string& where) {
  if (!v.is_array() || v.size() != 4) {
    bad(origin, where + ".bbox", "expected [x, y, width, height], got " + v.dump());
  }
  std::array<double, 4> box{};
  for (size_t i = 0; i < 4; ++i) {
    if (!v[i].is_number()) {
      bad(origin, where + ".bbox", "expected numbers, got " + v.dump());
    }
    box[i] = v[i].get<double>();
  }
  return box;
}

const json& get_array(const json& document, const char* key, const std::string& origin) {
  const json& v = require(document, key, origin, "top level");
  if (!v.is_array()) {
    bad(origin, key, "expected a list");
  }
  return v;
}

}  // namespace

CocoDataset CocoDataset::load(const std::filesystem::path& annotations_json) {
  return from_json(read_json(annotations_json), annotations_json.string());
}

CocoDataset CocoDataset::from_json(nlohmann::json document, const std::string& origin) {
  CocoDataset ds;
  ds.origin_ = origin;
  const json& images = get_array(document, "images", origin);
  ds.images_.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string where = "images[" + std::to_string(i) + "]";
    CocoImage im;
    im.id = get_int(images[i], "id", origin, where);
    im.width = get_int(images[i], "width", origin, where);
    im.height = get_int(images[i], "height", origin, where);
    if (auto it = images[i].find("file_name"); it != images[i].end() && it->is_string()) {
      im.file_name = it->get<std::string>();
    }
    ds.images_.push_back(std::move(im));
  }
  if (document.contains("categories")) {
    const json& cats = get_array(document, "categories", origin);
    for (size_t i = 0; i < cats.size(); ++i) {
      const std::string where = "categories[" + std::to_string(i) + "]";
      CocoCategory c;
      c.id = get_int(cats[i], "id", origin, where);
      if (auto it = cats[i].find("name"); it != cats[i].end() && it->is_string()) {
        c.name = it->get<std::string>();
      }
      ds.categories_.push_back(std::move(c));
    }
  }
  if (document.contains("annotations")) {
    json& anns = document["annotations"];
    if (!anns.is_array()) {
      bad(origin, "annotations", "expected a list");
    }
    ds.annotations_.reserve(anns.size());
    for (size_t i = 0; i < anns.size(); ++i) {
      const std::string where = "annotations[" + std::to_string(i) + "]";
      json& a = anns[i];
      CocoAnnotation ann;
      ann.id = get_int(a, "id", origin, where);
      ann.image_id = get_int(a, "image_id", origin, where);
      ann.category_id = get_int(a, "category_id", origin, where);
      ann.bbox = get_box(require(a, "bbox", origin, where), origin, where);
      ann.area = get_number(a, "area", origin, where);
      if (auto it = a.find("iscrowd"); it != a.end()) {
        ann.iscrowd = it->is_boolean() ? it->get<bool>() : it->get<int64_t>() != 0;
      }
      if (auto it = a.find("segmentation"); it != a.end()) {
        ann.segmentation = std::move(*it);
      }
      ds.annotations_.push_back(std::move(ann));
    }
  }
  ds.index();
  return ds;
}

CocoDataset CocoDataset::empty_results(const std::string& origin) const {
  CocoDataset res;
  res.origin_ = origin;
  res.images_ = images_;
  res.categories_ = categories_;
  res.index();
  return res;
}

namespace {

// pycocotools reads every result as a box result when the first one has a non-empty bbox.
bool has_boxes(const json& first_result) {
  return first_result.is_object() && first_result.contains("bbox") && !first_result["bbox"].empty();
}

}  // namespace

CocoDataset CocoDataset::load_results(const std::filesystem::path& results_json) const {
  const std::string origin = results_json.string();
  std::ifstream in(results_json, std::ios::binary);
  if (!in) {
    throw Error(SourceLocation{origin}, "cannot open the COCO json file");
  }
  CocoDataset res = empty_results(origin);
  bool top_is_list = false;
  bool from_boxes = false;
  size_t count = 0;
  // Each element of the top-level list is converted as soon as it is parsed and then dropped
  // from the tree (500k detections as a JSON tree take several hundred MB).
  const json::parser_callback_t take_result = [&](int depth, json::parse_event_t event,
                                                  json& parsed) {
    if (depth == 0 && event == json::parse_event_t::array_start) top_is_list = true;
    const bool element_done = event == json::parse_event_t::object_end ||
                              event == json::parse_event_t::array_end ||
                              event == json::parse_event_t::value;
    if (!top_is_list || depth != 1 || !element_done) return true;
    if (count == 0) from_boxes = has_boxes(parsed);
    res.add_result(parsed, count++, origin, origin_, from_boxes);
    return false;
  };
  json rest;
  try {
    rest = json::parse(in, take_result);
  } catch (const json::parse_error& e) {
    throw UsageError(SourceLocation{origin}, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!top_is_list || !rest.is_array()) {
    bad(origin, "top level", "results must be a list of detections");
  }
  res.index();
  return res;
}

CocoDataset CocoDataset::results_from_json(nlohmann::json results,
                                           const std::string& origin) const {
  if (!results.is_array()) {
    bad(origin, "top level", "results must be a list of detections");
  }
  CocoDataset res = empty_results(origin);
  res.annotations_.reserve(results.size());
  const bool from_boxes = !results.empty() && has_boxes(results[0]);
  for (size_t i = 0; i < results.size(); ++i) {
    res.add_result(results[i], i, origin, origin_, from_boxes);
  }
  res.index();
  return res;
}

void CocoDataset::add_result(nlohmann::json& r, size_t i, const std::string& origin,
                             const std::string& ground_truth, bool from_boxes) {
  const std::string where = "[" + std::to_string(i) + "]";
  CocoAnnotation ann;
  ann.id = static_cast<int64_t>(i) + 1;
  ann.image_id = get_int(r, "image_id", origin, where);
  ann.category_id = get_int(r, "category_id", origin, where);
  ann.score = get_number(r, "score", origin, where);
  if (image_index_.find(ann.image_id) == image_index_.end()) {
    bad(origin, where + ".image_id",
        "image " + std::to_string(ann.image_id) + " is not in the annotations (" + ground_truth +
            "); results must refer to its images");
  }
  if (auto it = r.find("segmentation"); it != r.end()) {
    ann.segmentation = std::move(*it);
  }
  if (from_boxes) {
    ann.bbox = get_box(require(r, "bbox", origin, where), origin, where);
    ann.area = ann.bbox[2] * ann.bbox[3];
  } else {
    if (ann.segmentation.is_null()) {
      bad(origin, where, "a result needs a 'bbox' or a 'segmentation'");
    }
    const Rle rle = annotation_rle(ann);
    ann.area = rle_area(rle);
    auto it = r.find("bbox");
    ann.bbox = it != r.end() ? get_box(*it, origin, where) : rle_to_bbox(rle);
  }
  annotations_.push_back(std::move(ann));
}

const CocoImage* CocoDataset::image(int64_t id) const {
  auto it = image_index_.find(id);
  return it == image_index_.end() ? nullptr : &images_[it->second];
}

std::vector<int64_t> CocoDataset::image_ids() const {
  std::vector<int64_t> ids;
  for (const auto& im : images_) {
    ids.push_back(im.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<int64_t> CocoDataset::category_ids() const {
  std::vector<int64_t> ids;
  for (const auto& c : categories_) {
    ids.push_back(c.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Rle CocoDataset::annotation_rle(const CocoAnnotation& ann) const {
  const CocoImage* im = image(ann.image_id);
  if (im == nullptr) {
    bad(origin_, "annotation " + std::to_string(ann.id),
        "image " + std::to_string(ann.image_id) + " is not listed");
  }
  const json& segm = ann.segmentation;
  const std::string where = "annotation " + std::to_string(ann.id) + ".segmentation";
  if (segm.is_null()) {
    // loadRes gives box results the box polygon as their mask.
    return rle_from_bbox(ann.bbox, im->height, im->width);
  }
  if (segm.is_array()) {
    // Polygons: each part rasterised, then merged into one mask.
    std::vector<Rle> parts;
    for (const auto& poly : segm) {
      if (!poly.is_array()) {
        bad(origin_, where, "expected a list of polygons [x0,y0,x1,y1,...]");
      }
      parts.push_back(rle_from_polygon(poly.get<std::vector<double>>(), im->height, im->width));
    }
    if (parts.empty()) {
      return Rle{im->height, im->width, {static_cast<uint32_t>(im->height * im->width)}};
    }
    return rle_merge(parts);
  }
  if (segm.is_object() && segm.contains("counts") && segm.contains("size")) {
    const auto size = segm["size"].get<std::vector<int64_t>>();
    if (size.size() != 2) {
      bad(origin_, where + ".size", "expected [height, width], got " + segm["size"].dump());
    }
    const json& counts = segm["counts"];
    if (counts.is_string()) {
      return rle_from_string(counts.get<std::string>(), size[0], size[1]);
    }
    if (counts.is_array()) {
      return Rle{size[0], size[1], counts.get<std::vector<uint32_t>>()};
    }
  }
  bad(origin_, where,
      "expected polygons or an RLE {size, counts}, got " + segm.dump().substr(0, 80));
}

void CocoDataset::index() {
  image_index_.clear();
  for (size_t i = 0; i < images_.size(); ++i) {
    image_index_[images_[i].id] = i;
  }
}

}  // namespace qyolo::eval
