#include "qyolo/eval/eval_split.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "qyolo/core/config.h"
#include "qyolo/core/error.h"
#include "qyolo/data/coco.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/eval/validator.h"

namespace qyolo::eval {
namespace {

namespace fs = std::filesystem;

const std::vector<fs::path>& split_sources(const data::DataYaml& d, const std::string& split) {
  if (split == "train") return d.train;
  if (split == "test") return d.test;
  return d.val;
}

// What ultralytics names a split's annotations after: its source's stem (val2017.txt ->
// val2017, images/val/ -> val).
std::string annotations_stem(const fs::path& source) {
  return source.has_filename() ? source.stem().string() : source.parent_path().stem().string();
}

}  // namespace

void require_same_classes(int64_t model_nc, int64_t data_nc, const std::string& model,
                          const std::string& data) {
  if (model_nc == data_nc) return;
  throw UsageError(model + " predicts " + std::to_string(model_nc) + " classes but " + data +
                   " has " + std::to_string(data_nc) +
                   ": give the data the model was trained on (the data yaml of its training "
                   "run)");
}

void attach_coco_annotations(EvalSplit& split, const fs::path& json) {
  split.coco.reset();
  if (!fs::is_regular_file(json)) {
    split.coco_note = "no COCO annotations for this split (looked for " + json.string() + ")";
    return;
  }
  CocoGroundTruth truth;
  truth.annotations = json;
  try {
    truth.dataset = CocoDataset::load(json);
  } catch (const Error& e) {
    split.coco_note = "the COCO annotations cannot be read: " + std::string(e.what());
    return;
  }
  if (truth.dataset.categories().size() != split.names.size()) {
    split.coco_note = json.string() + " has " + std::to_string(truth.dataset.categories().size()) +
                      " categories, the data has " + std::to_string(split.names.size()) +
                      " classes";
    return;
  }
  for (const int64_t id : truth.dataset.category_ids()) {
    truth.category_ids.push_back(static_cast<int>(id));
  }
  std::unordered_map<std::string, int64_t> id_of_file;
  for (const auto& image : truth.dataset.images()) {
    id_of_file.emplace(fs::path(image.file_name).filename().string(), image.id);
  }
  for (const auto& image : split.images) {
    const std::string file = fs::path(image.image_path).filename().string();
    const auto listed = id_of_file.find(file);
    if (listed == id_of_file.end()) {
      split.coco_note = json.string() + " does not list " + file +
                        ", an image of the split: they are not this split's annotations";
      return;
    }
    // Predictions carry the id val.py derives from the file name; it must be the json's.
    const nlohmann::json predicted = coco_image_id(image.image_path);
    if (!predicted.is_number_integer() || predicted.get<int64_t>() != listed->second) {
      split.coco_note = json.string() + " gives " + file + " the image id " +
                        std::to_string(listed->second) + ", predictions name it " +
                        predicted.dump() + " (its numeric file stem)";
      return;
    }
    truth.image_ids.push_back(listed->second);
  }
  std::sort(truth.image_ids.begin(), truth.image_ids.end());
  truth.image_ids.erase(std::unique(truth.image_ids.begin(), truth.image_ids.end()),
                        truth.image_ids.end());
  split.coco = std::move(truth);
  split.coco_note.clear();
}

EvalSplit load_yaml_split(const fs::path& data_yaml, const EvalSplitOptions& options) {
  const auto d = data::load_data_yaml(config::resolve_path(data_yaml.string()));
  if (options.model_nc() > 0) {
    require_same_classes(options.model_nc(), d.nc, options.model(), d.source.string());
  }
  data::ScanOptions scan;
  scan.strict = options.strict();
  if (options.segments()) scan.labels_dir = "labels-seg";
  auto scanned = data::scan_split(d, options.split(), scan);
  if (!scanned.summary.empty()) spdlog::warn("{}", scanned.summary);
  EvalSplit split;
  split.origin = d.source.string();
  split.images = std::move(scanned.images);
  split.names = d.names;
  const auto& sources = split_sources(d, options.split());
  if (sources.size() == 1) {
    attach_coco_annotations(
        split, d.root / "annotations" / ("instances_" + annotations_stem(sources[0]) + ".json"));
  } else {
    split.coco_note = "the '" + options.split() + "' split has " + std::to_string(sources.size()) +
                      " sources; COCO annotations are looked up for a single one";
  }
  return split;
}

EvalSplit load_coco_split(const fs::path& root, const std::string& name,
                          const EvalSplitOptions& options) {
  const auto json = root / "annotations" / ("instances_" + name + ".json");
  const auto images = root / "images" / name;
  for (const auto& p : {json, images}) {
    if (!fs::exists(p)) {
      throw Error("--coco " + name + ": '" + p.string() + "' does not exist (COCO root " +
                  root.string() + ", from --coco-root, QYOLO_DATASETS or configs/data/coco.yaml)");
    }
  }
  auto coco = data::read_coco_json(json, images);
  if (options.model_nc() > 0) {
    require_same_classes(options.model_nc(), static_cast<int64_t>(coco.names.size()),
                         options.model(), json.string());
  }
  EvalSplit split;
  split.origin = json.string();
  split.images = std::move(coco.images);
  split.names = std::move(coco.names);
  attach_coco_annotations(split, json);
  return split;
}

fs::path default_coco_root() {
  if (const char* env = std::getenv("QYOLO_DATASETS"); env && *env) return fs::path(env) / "coco";
  const auto yaml = config::resolve_path("data/coco.yaml");
  if (fs::exists(yaml)) return data::load_data_yaml(yaml).root;
  throw UsageError(
      "no COCO root: give --coco-root DIR, set QYOLO_DATASETS (DIR/coco), or set path in "
      "configs/data/coco.yaml");
}

}  // namespace qyolo::eval
