// A C++ COCOeval that reproduces pycocotools' evaluate / accumulate / summarize for bounding
// boxes and instance masks: area ranges, maxDets 1/10/100, 101 recall points, crowd handling,
// the 12 summary numbers and the exact printed summary.
#pragma once

#include <torch/torch.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qyolo/eval/coco.h"

namespace qyolo::eval {

enum class CocoIouType { kBbox, kSegm };

// "bbox" or "segm"; anything else is a qyolo::UsageError.
CocoIouType parse_coco_iou_type(const std::string& name);

struct CocoEvalParams {
  std::vector<int64_t> image_ids, category_ids;  // default: all of the ground truth
  std::vector<double> iou_thresholds;            // 0.50:0.05:0.95 (numpy linspace)
  std::vector<double> recall_thresholds;         // 0:0.01:1
  std::vector<int64_t> max_dets{1, 10, 100};
  std::vector<std::array<double, 2>> area_ranges{
      {0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
  std::vector<std::string> area_labels{"all", "small", "medium", "large"};
  bool use_categories = true;

  CocoEvalParams();
};

class CocoEvaluator {
 public:
  CocoEvaluator(const CocoDataset& ground_truth, const CocoDataset& detections, CocoIouType type);
  ~CocoEvaluator();

  CocoEvalParams& params() { return params_; }

  void evaluate();
  void accumulate();
  // The 12 stats; the text is what pycocotools prints (12 lines).
  std::array<double, 12> summarize();
  const std::string& summary_text() const { return summary_text_; }
  const std::array<double, 12>& stats() const { return stats_; }

  // float64, -1 where absent: precision and scores (T,R,K,A,M), recall (T,K,A,M).
  const torch::Tensor& precision() const { return precision_; }
  const torch::Tensor& recall() const { return recall_; }
  const torch::Tensor& scores() const { return scores_; }

 private:
  struct Cell;       // detections and ground truth of one (image, category)
  struct ImageEval;  // evaluateImg's result for one (category, area range, image)

  // Fills evals_ and eval_of_ for cells_[cell] only; safe to run for different cells at once.
  void evaluate_cell(int32_t cell, size_t category, size_t image);
  double summarize_one(bool ap, double iou_threshold, const std::string& area, int64_t max_dets,
                       std::string& text) const;

  const CocoDataset& gt_;
  const CocoDataset& dt_;
  CocoIouType type_;
  CocoEvalParams params_;
  std::vector<Cell> cells_;
  std::vector<ImageEval> evals_;
  std::vector<int32_t> eval_of_;  // [k][a][i] -> index into evals_, -1 for an empty cell
  torch::Tensor precision_, recall_, scores_;
  std::array<double, 12> stats_{};
  std::string summary_text_;
};

struct CocoEvalResult {
  std::array<double, 12> stats{};
  std::string summary_text;
  // {"iou_type", "stats": [12], "stats_names": [...], "summary": text}
  nlohmann::json json;
  torch::Tensor precision, recall, scores;
};

// The names of the 12 stats in order (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs,
// ARm, ARl).
const std::array<const char*, 12>& coco_stat_names();

// COCO(annotations) -> loadRes(results) -> COCOeval(iou_type): evaluate, accumulate, summarize.
// Ground truth first, as pycocotools' COCOeval(cocoGt, cocoDt) and evaluate_coco take them.
CocoEvalResult evaluate_coco_files(const std::filesystem::path& annotations_json,
                                   const std::filesystem::path& results_json,
                                   CocoIouType iou_type);
// `image_ids` restricts scoring to those images (COCOeval's params.imgIds; empty: all of the
// ground truth's), as val.py does for the images it ran on.
CocoEvalResult evaluate_coco(const CocoDataset& ground_truth, const CocoDataset& detections,
                             CocoIouType iou_type, const std::vector<int64_t>& image_ids = {});

}  // namespace qyolo::eval
