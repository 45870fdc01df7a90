// How long qyolo's COCOeval takes over a results / annotations pair, from loading the files to
// the summary (`qyolo bench eval`, docs/BENCHMARKS.md).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "qyolo/eval/coco_eval.h"

namespace qyolo::eval {

struct CocoEvalBenchResult {
  CocoEvalResult result;
  std::string iou_type;  // "bbox" or "segm"
  double seconds = 0;    // load, evaluate, accumulate, summarize
  int threads = 0;       // intra-op threads

  nlohmann::json to_json() const;
  // pycocotools' summary, then the time.
  std::string to_string() const;
};

// Scores `predictions` against `annotations` with IoU type `iou_type` ("bbox" or "segm"; anything
// else is a UsageError).
CocoEvalBenchResult bench_coco_eval(const std::filesystem::path& annotations,
                                    const std::filesystem::path& predictions,
                                    const std::string& iou_type);

}  // namespace qyolo::eval
