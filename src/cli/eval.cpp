// qyolo eval: validate a model on a data yaml or on COCO (ultralytics' table plus pycocotools'
// 12 numbers from qyolo's own COCOeval), or score an existing COCO results file.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/inference_flags.h"
#include "cli/model_source_flags.h"
#include "cli/runtime_options.h"
#include "qyolo/core/error.h"
#include "qyolo/eval/coco_eval.h"
#include "qyolo/eval/eval_run.h"

namespace qyolo::cli {
namespace {

struct EvalOptions {
  quant::ModelSourceOptions source;
  RuntimeOptions runtime;
  eval::EvalRunOptions run;
  int img = 640;
  const CLI::Option* img_option = nullptr;  // given on the command line?
  std::string predictions;
  std::string annotations;
  std::string iou_type = "bbox";
  bool json = false;
};

void print_coco(const eval::CocoEvalResult& r) { std::cout << r.summary_text << std::flush; }

int run_predictions(const EvalOptions& o) {
  if (o.annotations.empty()) throw UsageError("--predictions needs --annotations <instances json>");
  o.runtime.apply();  // COCOeval evaluates images and categories on the intra-op threads
  const auto r = eval::evaluate_coco_files(o.annotations, o.predictions,
                                           eval::parse_coco_iou_type(o.iou_type));
  if (o.json) {
    std::cout << r.json.dump(2) << "\n";
  } else {
    print_coco(r);
  }
  return 0;
}

int run_model(const EvalOptions& o) {
  quant::LoadedModel loaded = quant::load_model_source(o.source);
  const torch::Device device = o.runtime.apply(loaded.config ? loaded.config->train.device : "cpu");
  loaded.model->to(device);
  auto options = o.run;
  options.experiment(loaded.config)
      .checkpoint(loaded.checkpoint ? o.source.weights : "")
      .model(loaded.description);
  if (o.img_option->count()) options.img(o.img);
  const auto run = eval::evaluate_model(*loaded.model, options);
  std::cout << run.summary() << std::flush;
  if (run.report.coco_summary.empty()) {
    spdlog::info("COCO evaluation skipped: {}", run.report.metrics.value("coco_note", ""));
  }
  if (o.json) std::cout << run.report.metrics.dump(2) << "\n";
  spdlog::info("Results saved to {}", run.dir.string());
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval",
      "Validate a model (ultralytics table + COCO 12 numbers) or score a COCO results file");
  add_model_source_options(sub, o->source);
  o->runtime.add_to(sub);
  sub->add_option("--data", o->run.data(),
                  "Data yaml whose val split is evaluated (default: the run's)");
  sub->add_option("--coco", o->run.coco(), "Evaluate on a COCO split, e.g. val2017");
  sub->add_option("--coco-root", o->run.coco_root(),
                  "COCO folder with images/ and annotations/ (else $QYOLO_DATASETS/coco or "
                  "configs/data/coco.yaml)");
  sub->add_option("--predictions", o->predictions,
                  "Score this COCO results json (no model needed)");
  sub->add_option("--annotations", o->annotations, "COCO instances json for --predictions");
  sub->add_option("--iou-type", o->iou_type, "bbox or segm (with --predictions)")
      ->check(CLI::IsMember({"bbox", "segm"}))
      ->capture_default_str();
  sub->add_option("--task", o->run.task(), "det or seg (default: from the model's head)")
      ->check(CLI::IsMember({"det", "seg"}));
  add_inference_flags(sub, o->img, o->run.conf_thres(), o->run.iou_thres(), o->run.max_det());
  CLI::Option* img = sub->get_option("--img");
  o->img_option = img;
  img->description("Inference size (default: a training checkpoint's train.imgsz, else 640)");
  sub->add_option("--batch", o->run.batch(), "Batch size")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  sub->add_option("--workers", o->run.workers(), "Loader threads")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  sub->add_flag("--half", o->run.half(), "FP16 inference (CUDA only)");
  sub->add_flag("--strict", o->run.strict(),
                "Stop on a bad image or label line instead of skipping it");
  sub->add_flag("--json", o->json, "Also print the metrics as JSON");
  sub->add_flag("--exist-ok", o->run.exist_ok(),
                "Reuse the results folder instead of incrementing its name");
  sub->add_option("--project", o->run.project(), "Parent folder of the results")
      ->capture_default_str();
  sub->add_option("--name", o->run.name(), "Results folder name (incremented if it exists)")
      ->capture_default_str();
  return {sub, [o] { return o->predictions.empty() ? run_model(*o) : run_predictions(*o); }};
}

}  // namespace qyolo::cli
