// Times qyolo's COCOeval on a COCO case, the counterpart of tools/bench/pycocotools_eval.py.
//   coco_eval_timing GT_JSON RESULTS_JSON [bbox|segm] [THREADS]
// Prints the summary, then one JSON line
// {"stats": [...12], "seconds": total, "load_seconds": ..., "threads": n, "peak_rss_mb": ...}.
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <string>

#include "qyolo/core/error.h"
#include "qyolo/eval/coco_eval.h"

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  if (argc < 3) {
    std::cerr << "usage: coco_eval_timing GT_JSON RESULTS_JSON [bbox|segm] [THREADS]\n";
    return 2;
  }
  try {
    const auto type = qyolo::eval::parse_coco_iou_type(argc > 3 ? argv[3] : "bbox");
    at::set_num_threads(argc > 4 ? std::stoi(argv[4]) : 1);
    const auto t0 = clock::now();
    const auto gt = qyolo::eval::CocoDataset::load(argv[1]);
    const auto dt = gt.load_results(argv[2]);
    const auto t1 = clock::now();
    const auto result = qyolo::eval::evaluate_coco(gt, dt, type);
    const auto t2 = clock::now();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);  // ru_maxrss is in KiB on Linux
    std::cout << result.summary_text;
    nlohmann::json line = {{"stats", result.stats},
                           {"seconds", std::chrono::duration<double>(t2 - t0).count()},
                           {"load_seconds", std::chrono::duration<double>(t1 - t0).count()},
                           {"threads", at::get_num_threads()},
                           {"peak_rss_mb", usage.ru_maxrss / 1024.0}};
    std::cout << line.dump() << "\n";
  } catch (const qyolo::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  }
  return 0;
}
