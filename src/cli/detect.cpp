// qyolo detect: run a model on images, folders, globs, .txt lists or videos and save the
// annotated results (ultralytics detect.py / segment/predict.py).
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/inference_flags.h"
#include "cli/model_source_flags.h"
#include "cli/runtime_options.h"
#include "qyolo/core/error.h"
#include "qyolo/core/run_dir.h"
#include "qyolo/eval/class_names.h"
#include "qyolo/eval/predictor.h"

namespace qyolo::cli {
namespace {

struct DetectOptions {
  quant::ModelSourceOptions source;
  RuntimeOptions runtime;
  std::vector<std::string> sources;
  std::string data;  // class names
  int img = 640;
  double conf = 0.25;
  double iou = 0.45;
  int64_t max_det = 1000;
  std::vector<int64_t> classes;
  bool agnostic = false;
  bool save_txt = false;
  bool save_conf = false;
  bool save_json = false;
  bool nosave = false;
  bool exist_ok = false;
  std::string project = "runs/detect";
  std::string name = "exp";
};

int run(const DetectOptions& o) {
  quant::LoadedModel loaded = quant::load_model_source(o.source);
  const torch::Device device = o.runtime.apply(loaded.config ? loaded.config->train.device : "cpu");
  loaded.model->to(device);
  spdlog::info("{}", loaded.description);
  eval::Predictor predictor(loaded.model, eval::PredictorOptions()
                                              .img_size(o.img)
                                              .conf_thres(o.conf)
                                              .iou_thres(o.iou)
                                              .max_det(o.max_det)
                                              .classes(o.classes)
                                              .agnostic(o.agnostic));
  const auto dir = increment_run_dir(std::filesystem::path(o.project) / o.name, o.exist_ok);
  const auto summary = eval::run_detect(predictor, o.sources,
                                        eval::DetectRunOptions()
                                            .save_dir(dir)
                                            .names(eval::class_names(o.data, loaded.config))
                                            .save_txt(o.save_txt)
                                            .save_conf(o.save_conf)
                                            .save_json(o.save_json)
                                            .save_images(!o.nosave));
  if (summary.skipped > 0) {
    spdlog::warn("{} of {} files skipped (unreadable; named above)", summary.skipped,
                 summary.files);
  }
  if (summary.frames == 0) {
    throw Error("no image or video frame could be read from --source (" +
                std::to_string(summary.files) + " files, all skipped)");
  }
  const int64_t img = predictor.options().img_size();
  spdlog::info("Speed: {:.1f}ms inference, {:.1f}ms NMS per image at shape (1, 3, {}, {})",
               summary.ms_inference, summary.ms_nms, img, img);
  std::string saved = "Results saved to " + dir.string();
  if (o.save_txt) saved += " (labels in " + (dir / "labels").string() + ")";
  spdlog::info("{}", saved);
  return 0;
}

}  // namespace

Command add_detect(CLI::App& app) {
  auto o = std::make_shared<DetectOptions>();
  CLI::App* sub = app.add_subcommand(
      "detect", "Detect objects in images, folders, globs, .txt lists or videos");
  add_model_source_options(sub, o->source);
  o->runtime.add_to(sub);
  sub->add_option("--source", o->sources,
                  "Image, folder, glob, .txt list of images or video file (repeatable)")
      ->required();
  sub->add_option("--data", o->data, "Data yaml for class names (default: the run's)");
  add_inference_flags(sub, o->img, o->conf, o->iou, o->max_det);
  sub->add_option("--classes", o->classes, "Keep only these class indices")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--agnostic", o->agnostic, "Class-agnostic NMS");
  sub->add_flag("--save-txt", o->save_txt, "Save labels/<stem>.txt (cls cx cy w h, normalised)");
  sub->add_flag("--save-conf", o->save_conf, "Append the confidence to --save-txt rows");
  sub->add_flag("--save-json", o->save_json, "Save predictions.json (COCO results format)");
  sub->add_flag("--nosave", o->nosave, "Do not save annotated images / videos");
  sub->add_flag("--exist-ok", o->exist_ok, "Reuse the results folder instead of incrementing");
  sub->add_option("--project", o->project, "Parent folder of the results")->capture_default_str();
  sub->add_option("--name", o->name, "Results folder name (incremented if it exists)")
      ->capture_default_str();
  sub->footer(
      "An image or video that cannot be read is skipped with a warning naming it, and the "
      "number skipped is reported at the end (as ultralytics' predict does). Exit code 0 when "
      "at least one image or frame was processed, 1 when none could be read, 2 for bad flags.");
  return {sub, [o] { return run(*o); }};
}

}  // namespace qyolo::cli
