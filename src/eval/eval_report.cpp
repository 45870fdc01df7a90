#include "qyolo/eval/eval_report.h"

#include "qyolo/core/checkpoint.h"
#include "qyolo/eval/coco_eval.h"

namespace qyolo::eval {

EvalReport write_eval_report(const ValidationResult& result, const EvalSplit& split,
                             const std::string& weights, const std::filesystem::path& dir) {
  const auto predictions = dir / "predictions.json";
  write_file_atomic(predictions, result.predictions.dump());
  EvalReport report;
  auto& m = report.metrics;
  m = {{"weights", weights},
       {"images", result.images},
       {"instances", result.labels},
       {"precision", result.box.summary.mp},
       {"recall", result.box.summary.mr},
       {"mAP50", result.box.summary.map50},
       {"mAP50-95", result.box.summary.map50_95}};
  if (result.mask) {
    m["mask_mAP50"] = result.mask->summary.map50;
    m["mask_mAP50-95"] = result.mask->summary.map50_95;
  }
  if (!split.coco) {
    m["coco_note"] = split.coco_note;
  } else if (result.predictions.empty()) {
    m["coco_note"] = "no predictions to score";
  } else {
    const auto& truth = *split.coco;
    const auto detections =
        truth.dataset.results_from_json(result.predictions, predictions.string());
    const auto coco = evaluate_coco(truth.dataset, detections, CocoIouType::kBbox, truth.image_ids);
    report.coco_summary = coco.summary_text;
    m["coco_annotations"] = truth.annotations.string();
    m["coco_bbox"] = coco.json;
  }
  write_file_atomic(dir / "metrics.json", m.dump(2));
  return report;
}

}  // namespace qyolo::eval
