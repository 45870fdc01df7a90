#include "qyolo/eval/eval_run.h"

#include <spdlog/fmt/fmt.h>

#include "qyolo/core/error.h"
#include "qyolo/core/run_dir.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/eval/validation_plots.h"
#include "qyolo/nn/image_size.h"

namespace qyolo::eval {
namespace {

EvalSplit load_split(const EvalRunOptions& o, const EvalSplitOptions& split_options) {
  if (!o.coco().empty()) {
    const auto root = o.coco_root().empty() ? default_coco_root() : o.coco_root();
    return load_coco_split(root, o.coco(), split_options);
  }
  if (!o.data().empty()) return load_yaml_split(o.data(), split_options);
  if (o.experiment() && !o.experiment()->data.empty()) {
    const auto& experiment = *o.experiment();
    return load_yaml_split(config::resolve_path(experiment.data, experiment.source.parent_path()),
                           split_options);
  }
  throw UsageError("give the data to evaluate on: --data <data yaml> or --coco val2017");
}

}  // namespace

std::string EvalRun::summary() const {
  std::string text = result.table(split.names) + "\n" +
                     fmt::format(
                         "Speed: {:.1f}ms inference, {:.1f}ms NMS per image at shape "
                         "({}, 3, {}, {})\n",
                         result.ms_per_image_inference, result.ms_per_image_nms, batch, img, img);
  if (!report.coco_summary.empty()) {
    text += "\nCOCO evaluation of " + (dir / "predictions.json").string() + " against " +
            split.coco->annotations.string() + " (pycocotools' COCOeval, bbox):\n" +
            report.coco_summary;
  }
  return text;
}

EvalRun evaluate_model(nn::ModelImpl& model, const EvalRunOptions& o) {
  const bool seg = o.task().empty() ? model.nm() > 0 : o.task() == "seg";
  if (seg && model.nm() == 0) {
    throw UsageError("--task seg needs a segmentation model (Segment head)");
  }
  if (o.half() && model.parameters().front().is_cuda()) model.to(torch::kHalf);

  EvalRun run;
  run.batch = o.batch();
  // A checkpoint is scored at the size it was trained at unless the size is given.
  const bool trained_size = !o.img() && !o.checkpoint().empty() && o.experiment();
  run.img = trained_size ? o.experiment()->train.imgsz : o.img().value_or(640);
  nn::check_image_size(run.img, model.max_stride(),
                       trained_size ? "train.imgsz (of " + o.checkpoint() + ")" : "--img");
  run.split = load_split(
      o, EvalSplitOptions().segments(seg).strict(o.strict()).model_nc(model.nc()).model(o.model()));
  const auto loader =
      data::make_val_loader(run.split.images, static_cast<int>(run.img), o.batch(), o.workers(),
                            seg ? data::MaskFormat::kOverlap : data::MaskFormat::kNone,
                            static_cast<int>(model.max_stride()), o.strict());
  const std::vector<int> category_ids =
      run.split.coco ? run.split.coco->category_ids : std::vector<int>{};
  run.result = validate(model, *loader, model.nc(),
                        ValidationOptions()
                            .conf_thres(o.conf_thres())
                            .iou_thres(o.iou_thres())
                            .max_det(o.max_det())
                            .masks(seg)
                            .save_json(true)
                            .category_ids(category_ids));
  run.dir = increment_run_dir(o.project() / o.name(), o.exist_ok());
  std::filesystem::create_directories(run.dir);
  save_validation_plots(run.result, run.split.names, run.dir);
  run.report = write_eval_report(run.result, run.split, o.model(), run.dir);
  return run;
}

}  // namespace qyolo::eval
