// What `qyolo eval` leaves in its results folder besides the plots: predictions.json (COCO
// results format) and metrics.json (ultralytics' numbers, plus pycocotools' 12 when the split
// has COCO annotations, else the note saying why not). Both are written atomically.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "qyolo/eval/eval_split.h"
#include "qyolo/eval/validator.h"

namespace qyolo::eval {

struct EvalReport {
  nlohmann::json metrics;    // the contents of metrics.json
  std::string coco_summary;  // pycocotools' printed summary; empty without COCO scoring
};

// `weights` describes the model in metrics.json. Throws qyolo::Error when a file cannot be
// written.
EvalReport write_eval_report(const ValidationResult& result, const EvalSplit& split,
                             const std::string& weights, const std::filesystem::path& dir);

}  // namespace qyolo::eval
