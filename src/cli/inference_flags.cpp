#include "cli/inference_flags.h"

namespace qyolo::cli {

void add_inference_flags(CLI::App* app, int& img, double& conf, double& iou, int64_t& max_det) {
  app->add_option("--img", img, "Inference size")
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  app->add_option("--conf", conf, "Confidence threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--iou", iou, "NMS IoU threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--max-det", max_det, "Detections per image")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
}

}  // namespace qyolo::cli
