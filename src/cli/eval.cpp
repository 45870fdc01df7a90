// qyolo eval: validate a model on a data yaml or on COCO (ultralytics' table plus pycocotools'
// 12 numbers from qyolo's own COCOeval), or score an existing COCO results file.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/inference_flags.h"
#include "cli/model_source_flags.h"
#include "cli/runtime_options.h"
#include "qyolo/core/error.h"
#include "qyolo/core/run_dir.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/eval/coco_eval.h"
#include "qyolo/eval/eval_report.h"
#include "qyolo/eval/eval_split.h"
#include "qyolo/eval/validation_plots.h"
#include "qyolo/eval/validator.h"
#include "qyolo/nn/image_size.h"

namespace qyolo::cli {
namespace {

struct EvalOptions {
  quant::ModelSourceOptions source;
  RuntimeOptions runtime;
  std::string data;
  std::string coco;  // split name, e.g. val2017
  std::string coco_root;
  std::string predictions;
  std::string annotations;
  std::string iou_type = "bbox";
  std::string task;  // det | seg; default from the model's head
  double conf = 0.001;
  double iou = 0.65;
  int64_t max_det = 300;
  int img = 640;
  const CLI::Option* img_option = nullptr;  // given on the command line?
  int batch = 32;
  int workers = 4;
  bool half = false;
  bool json = false;
  bool strict = false;
  bool exist_ok = false;
  std::string project = "runs/val";
  std::string name = "exp";
};

std::filesystem::path coco_root(const EvalOptions& o) {
  return o.coco_root.empty() ? eval::default_coco_root() : std::filesystem::path(o.coco_root);
}

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
  auto& model = *loaded.model;
  const torch::Device device = o.runtime.apply(loaded.config ? loaded.config->train.device : "cpu");
  model.to(device);
  if (o.half && device.is_cuda()) model.to(torch::kHalf);
  const bool seg = o.task.empty() ? model.nm() > 0 : o.task == "seg";
  if (seg && model.nm() == 0)
    throw UsageError("--task seg needs a segmentation model (Segment head)");

  std::string data_yaml = o.data;
  if (data_yaml.empty() && o.coco.empty() && loaded.config) {
    data_yaml =
        config::resolve_path(loaded.config->data, loaded.config->source.parent_path()).string();
  }
  if (data_yaml.empty() && o.coco.empty()) {
    throw UsageError("give the data to evaluate on: --data <data yaml> or --coco val2017");
  }
  // A checkpoint is scored at the size it was trained at unless --img says otherwise.
  const bool trained_size = o.img_option->count() == 0 && loaded.checkpoint && loaded.config;
  const int img = trained_size ? loaded.config->train.imgsz : o.img;
  nn::check_image_size(img, model.max_stride(),
                       trained_size ? "train.imgsz (of " + o.source.weights + ")" : "--img");
  const auto split_options = eval::EvalSplitOptions()
                                 .segments(seg)
                                 .strict(o.strict)
                                 .model_nc(model.nc())
                                 .model(loaded.description);
  const eval::EvalSplit split = o.coco.empty()
                                    ? eval::load_yaml_split(data_yaml, split_options)
                                    : eval::load_coco_split(coco_root(o), o.coco, split_options);
  const auto loader =
      data::make_val_loader(split.images, img, o.batch, o.workers,
                            seg ? data::MaskFormat::kOverlap : data::MaskFormat::kNone,
                            static_cast<int>(model.max_stride()), o.strict);
  const std::vector<int> category_ids = split.coco ? split.coco->category_ids : std::vector<int>{};
  const auto result = eval::validate(model, *loader, model.nc(),
                                     eval::ValidationOptions()
                                         .conf_thres(o.conf)
                                         .iou_thres(o.iou)
                                         .max_det(o.max_det)
                                         .masks(seg)
                                         .save_json(true)
                                         .category_ids(category_ids));
  const auto dir = increment_run_dir(std::filesystem::path(o.project) / o.name, o.exist_ok);
  std::filesystem::create_directories(dir);
  std::cout << result.table(split.names) << "\n";
  std::printf("Speed: %.1fms inference, %.1fms NMS per image at shape (%d, 3, %d, %d)\n",
              result.ms_per_image_inference, result.ms_per_image_nms, o.batch, img, img);
  eval::save_validation_plots(result, split.names, dir);
  const auto report = eval::write_eval_report(result, split, loaded.description, dir);
  if (!report.coco_summary.empty()) {
    std::cout << "\nCOCO evaluation of " << (dir / "predictions.json").string() << " against "
              << split.coco->annotations.string() << " (pycocotools' COCOeval, bbox):\n"
              << report.coco_summary << std::flush;
  } else {
    spdlog::info("COCO evaluation skipped: {}", report.metrics.value("coco_note", ""));
  }
  if (o.json) std::cout << report.metrics.dump(2) << "\n";
  spdlog::info("Results saved to {}", dir.string());
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
  sub->add_option("--data", o->data, "Data yaml whose val split is evaluated (default: the run's)");
  sub->add_option("--coco", o->coco, "Evaluate on a COCO split, e.g. val2017");
  sub->add_option("--coco-root", o->coco_root,
                  "COCO folder with images/ and annotations/ (else $QYOLO_DATASETS/coco or "
                  "configs/data/coco.yaml)");
  sub->add_option("--predictions", o->predictions,
                  "Score this COCO results json (no model needed)");
  sub->add_option("--annotations", o->annotations, "COCO instances json for --predictions");
  sub->add_option("--iou-type", o->iou_type, "bbox or segm (with --predictions)")
      ->check(CLI::IsMember({"bbox", "segm"}))
      ->capture_default_str();
  sub->add_option("--task", o->task, "det or seg (default: from the model's head)")
      ->check(CLI::IsMember({"det", "seg"}));
  add_inference_flags(sub, o->img, o->conf, o->iou, o->max_det);
  CLI::Option* img = sub->get_option("--img");
  o->img_option = img;
  img->description("Inference size (default: a training checkpoint's train.imgsz, else 640)");
  sub->add_option("--batch", o->batch, "Batch size")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  sub->add_option("--workers", o->workers, "Loader threads")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  sub->add_flag("--half", o->half, "FP16 inference (CUDA only)");
  sub->add_flag("--strict", o->strict, "Stop on a bad image or label line instead of skipping it");
  sub->add_flag("--json", o->json, "Also print the metrics as JSON");
  sub->add_flag("--exist-ok", o->exist_ok,
                "Reuse the results folder instead of incrementing its name");
  sub->add_option("--project", o->project, "Parent folder of the results")->capture_default_str();
  sub->add_option("--name", o->name, "Results folder name (incremented if it exists)")
      ->capture_default_str();
  return {sub, [o] { return o->predictions.empty() ? run_model(*o) : run_predictions(*o); }};
}

}  // namespace qyolo::cli
