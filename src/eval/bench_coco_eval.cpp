#include "qyolo/eval/bench_coco_eval.h"

#include <spdlog/fmt/fmt.h>
#include <torch/torch.h>

#include "qyolo/core/timing.h"

namespace qyolo::eval {

nlohmann::json CocoEvalBenchResult::to_json() const {
  return {{"impl", "qyolo"},
          {"iou_type", iou_type},
          {"stats", result.stats},
          {"seconds", seconds},
          {"threads", threads}};
}

std::string CocoEvalBenchResult::to_string() const {
  return result.summary_text +
         fmt::format("COCOeval (load, evaluate, accumulate, summarize): {:.2f} s, {} thread(s)\n",
                     seconds, threads);
}

CocoEvalBenchResult bench_coco_eval(const std::filesystem::path& annotations,
                                    const std::filesystem::path& predictions,
                                    const std::string& iou_type) {
  const auto type = parse_coco_iou_type(iou_type);
  CocoEvalBenchResult r;
  r.iou_type = iou_type;
  const Stopwatch watch;
  r.result = evaluate_coco_files(annotations, predictions, type);
  r.seconds = watch.seconds();
  r.threads = torch::get_num_threads();
  return r;
}

}  // namespace qyolo::eval
