// The data `qyolo eval` scores a model on: the val split of an ultralytics data yaml or a COCO
// split, its class names, and the COCO annotations that belong to it (when there are any) so
// the run can also be scored by COCOeval. A model whose class count differs from the data's is
// refused here, before any image is read.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "qyolo/data/labels.h"
#include "qyolo/eval/coco.h"

namespace qyolo::eval {

// COCOeval's ground truth for a validation run over a split.
struct CocoGroundTruth {
  std::filesystem::path annotations;  // the instances json
  CocoDataset dataset;                // its contents
  std::vector<int> category_ids;      // category id of each class index (ids in ascending order)
  std::vector<int64_t> image_ids;     // the split's images: what COCOeval scores (as val.py)
};

struct EvalSplit {
  std::string origin;  // the data yaml or COCO json, for messages
  std::vector<data::LabeledImage> images;
  std::vector<std::string> names;       // one per class
  std::optional<CocoGroundTruth> coco;  // absent: ultralytics' numbers only, see coco_note
  std::string coco_note;                // why there is no COCO scoring
};

struct EvalSplitOptions {
  TORCH_ARG(std::string, split) = "val";
  // Polygon labels (FashionDet's labels-seg folder) for mask evaluation.
  TORCH_ARG(bool, segments) = false;
  // Stop on a bad image or label line instead of skipping it.
  TORCH_ARG(bool, strict) = false;
  // > 0: the data must have exactly this many classes (the model's).
  TORCH_ARG(int64_t, model_nc) = 0;
  // Names the model in the class-count error.
  TORCH_ARG(std::string, model) = "the model";
};

// A data yaml's split (options.split). Its COCO annotations are found by ultralytics'
// convention, <path>/annotations/instances_<name>.json where <name> is the split source's stem
// (val2017.txt -> instances_val2017.json, images/val -> instances_val.json), and used only when
// they list every image of the split under the image id val.py gives it and have one category
// per class; otherwise coco_note says why COCO scoring is skipped.
EvalSplit load_yaml_split(const std::filesystem::path& data_yaml, const EvalSplitOptions& options);

// <root>/images/<name> with <root>/annotations/instances_<name>.json (e.g. name val2017).
EvalSplit load_coco_split(const std::filesystem::path& root, const std::string& name,
                          const EvalSplitOptions& options);

// The COCO root for --coco: $QYOLO_DATASETS/coco, else the path of configs/data/coco.yaml.
// Throws UsageError when neither is set.
std::filesystem::path default_coco_root();

// Sets split.coco to the annotations at `json` when they fit split.images and split.names (see
// load_yaml_split), else split.coco_note to the reason they do not.
void attach_coco_annotations(EvalSplit& split, const std::filesystem::path& json);

// Throws UsageError unless a model with `model_nc` classes can be scored on data with
// `data_nc` (they must be equal, as ultralytics val.py asserts).
void require_same_classes(int64_t model_nc, int64_t data_nc, const std::string& model,
                          const std::string& data);

}  // namespace qyolo::eval
