#include "qyolo/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iomanip>
#include <sstream>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/logging.h"
#include "qyolo/core/progress.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/plot_batch.h"
#include "qyolo/dist/launch_env.h"
#include "qyolo/eval/plots.h"
#include "qyolo/eval/validator.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/quant/oscillation.h"
#include "qyolo/quant/oscillation_damping.h"
#include "qyolo/train/optimizer.h"
#include "qyolo/train/train_step.h"

namespace qyolo::train {

namespace fs = std::filesystem;

fs::path increment_run_dir(const fs::path& base, bool exist_ok) {
  if (exist_ok || !fs::exists(base)) return base;
  for (int n = 2;; ++n) {
    fs::path candidate = base.string() + std::to_string(n);
    if (!fs::exists(candidate)) return candidate;
  }
}

namespace {

void copy_state(const TensorMap& from, const torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  for (auto& [name, value] : module_state(to)) {
    const auto it = from.find(name);
    if (it == from.end()) throw Error("checkpoint has no tensor '" + name + "'");
    value.copy_(it->second);
  }
}

TensorMap cpu_copy(const std::map<std::string, torch::Tensor>& state) {
  TensorMap out;
  for (const auto& [name, value] : state) out.emplace(name, value.detach().cpu().clone());
  return out;
}

std::string results_header(const std::vector<std::string>& items) {
  std::ostringstream s;
  s << "epoch";
  for (const auto& item : items) s << ",train/" << item << "_loss";
  s << ",metrics/precision,metrics/recall,metrics/mAP_0.5,metrics/mAP_0.5:0.95";
  for (const auto& item : items) s << ",val/" << item << "_loss";
  s << ",x/lr0,x/lr1,x/lr2";
  return s.str();
}

}  // namespace

TrainSummary train(const config::ExperimentConfig& config, const TrainRunOptions& options) {
  // Several processes would each train alone and overwrite one run folder: refuse until the
  // trainer averages gradients through qyolo::dist.
  if (const auto env = dist::launch_env_from_process(); env.world_size > 1) {
    throw UsageError("started as rank " + std::to_string(env.rank) + " of " +
                     std::to_string(env.world_size) + " (" + env.launcher +
                     "), but the trainer does not run data parallel yet; start one process");
  }
  if (config.quant.enabled && config.quant.stages.size() > 1) {
    spdlog::warn(
        "quant.stages lists {} PNQ stages; this trainer trains the final stage ('{}') for "
        "all {} epochs (stage-by-stage training is not implemented yet)",
        config.quant.stages.size(), config.quant.stages.back().name, config.train.epochs);
  }
  const auto& tc = config.train;
  const torch::Device device(tc.device);
  torch::manual_seed(tc.seed);

  Checkpoint resumed;
  TrainSummary summary;
  if (!options.resume.empty()) {
    resumed = load_checkpoint(options.resume);
    summary.run_dir = options.resume.parent_path().parent_path();
  } else {
    summary.run_dir = increment_run_dir(fs::path(tc.project) / tc.name, tc.exist_ok);
  }
  const auto weights_dir = summary.run_dir / "weights";
  fs::create_directories(weights_dir);
  write_file_atomic(summary.run_dir / "config.yaml", config::to_yaml(config));
  logging::add_file(summary.run_dir / "train.log");

  // Data.
  const auto data =
      data::load_data_yaml(config::resolve_path(config.data, config.source.parent_path()));
  data::require_dataset(data);
  const int64_t nc = config.nc > 0 ? config.nc : data.nc;

  // Model and its EMA twin: same yaml, same quantizers (the final PNQ stage).
  const int stage = quant::final_stage(config.quant);
  nn::Model model = quant::build_model(config, nc, stage);
  if (!tc.weights.empty()) model->load_weights(load_weights_file(tc.weights));
  const bool segment = model->head_kind() == nn::HeadKind::kSegment;
  const auto masks = segment ? data::MaskFormat::kOverlap : data::MaskFormat::kNone;
  data::ScanOptions scan;
  scan.nc = static_cast<int>(nc);
  scan.strict = tc.strict_data;
  if (segment) scan.labels_dir = "labels-seg";
  const int stride = static_cast<int>(std::max<int64_t>(model->max_stride(), 32));
  auto train_loader = data::make_train_loader(data::scan_split(data, "train", scan).images,
                                              config.hyp, tc, masks, stride);
  auto val_loader = data::make_val_loader(data::scan_split(data, "val", scan).images, tc.imgsz,
                                          tc.batch * 2, tc.workers, masks, stride);
  model->to(device);

  LrScheduleOptions so;
  so.hyp = config.hyp;
  so.epochs = tc.epochs;
  so.cos_lr = tc.cos_lr;
  so.batches_per_epoch = train_loader->size();
  so.batch_size = tc.batch;
  so.nbs = tc.nbs;
  const LrSchedule schedule(so);
  auto optimizer = make_optimizer(group_parameters(*model), tc.optimizer, config.hyp.lr0,
                                  config.hyp.momentum, schedule.weight_decay());
  // Activation steps start from the first calib_batches training batches (fresh runs only).
  if (config.quant.enabled && options.resume.empty()) {
    std::vector<torch::Tensor> calibration;
    train_loader->start_epoch(0);
    while (static_cast<int>(calibration.size()) < config.quant.calib_batches) {
      auto batch = train_loader->next();
      if (!batch) break;
      calibration.push_back(normalize_images(batch->images, device));
    }
    const int initialised = quant::calibrate_activations(
        *model, calibration, quant::parse_act_init(config.quant.act_init, "quant.act_init"));
    spdlog::info("Calibrated {} activation quantizers on {} batches", initialised,
                 calibration.size());
  }
  auto shadow = quant::build_model(config, nc, stage).ptr();
  shadow->to(device);
  ModelEma ema(shadow, *model);
  TaskLoss loss(*model, config.hyp);
  // Quantizer-side hooks: oscillation tracking/freezing after each step, the OscDamp term.
  const auto& q = config.quant;
  const auto sites = model->conv_sites();
  double progress = 0;  // fraction of training done, for the dampening schedule
  TrainStepOptions step_options;
  if (q.enabled && q.oscillation.track) {
    step_options.after_optimizer_step = [&sites, &q] {
      quant::track_oscillations(sites);
      if (q.freeze.enabled) quant::freeze_oscillating(sites, q.freeze.threshold);
    };
  }
  if (q.enabled && q.dampen.enabled) {
    step_options.extra_loss = [&sites, &q, &progress] {
      return quant::dampening_lambda(q.dampen, progress) * quant::dampening_loss(sites);
    };
  }
  TrainStep step(model, loss, *optimizer, schedule, &ema, step_options);

  int start_epoch = 0;
  summary.best_fitness = 0;
  if (!options.resume.empty()) {
    copy_state(resumed.model, *model);
    ema.load_state(resumed.ema, static_cast<int64_t>(resumed.ema_updates));
    load_optimizer_state(*optimizer, resumed.optimizer);
    step.set_last_optimizer_step(resumed.extra.at("last_optimizer_step").item<int64_t>());
    summary.best_fitness =
        resumed.metrics.count("best_fitness") ? resumed.metrics.at("best_fitness") : 0;
    start_epoch = static_cast<int>(resumed.epoch) + 1;
    if (resumed.extra.count("rng_state"))
      at::Generator(at::detail::getDefaultCPUGenerator()).set_state(resumed.extra.at("rng_state"));
    spdlog::info("Resuming {} from epoch {}", options.resume.string(), start_epoch);
  }

  const auto item_names = loss.item_names();
  const auto results_path = summary.run_dir / "results.csv";
  if (start_epoch == 0) std::ofstream(results_path) << results_header(item_names) << '\n';

  const eval::ValidationOptions val_options = eval::ValidationOptions()
                                                  .conf_thres(config.eval.conf)
                                                  .iou_thres(config.eval.iou)
                                                  .max_det(config.eval.max_det)
                                                  .masks(segment)
                                                  .save_json(config.eval.save_json);
  int epochs_without_improvement = 0;
  const int64_t nb = train_loader->size();
  for (int epoch = start_epoch; epoch < tc.epochs; ++epoch) {
    if (tc.close_mosaic > 0 && epoch == tc.epochs - tc.close_mosaic) {
      spdlog::info("Closing dataloader mosaic");
      train_loader->dataset().set_mosaic(false);
    }
    train_loader->start_epoch(epoch);
    ProgressBar bar(nb, "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(tc.epochs));
    torch::Tensor mean_items;
    int64_t batch_index = 0;
    while (auto batch = train_loader->next()) {
      const int64_t ni = batch_index + nb * epoch;
      progress = static_cast<double>(ni) / static_cast<double>(nb * tc.epochs);
      if (ni == 0) data::save_batch_plot(*batch, data.names, summary.run_dir / "train_batch0.jpg");
      const auto items = step.run(*batch, ni, epoch, batch_index).cpu();
      mean_items =
          batch_index == 0 ? items : (mean_items * batch_index + items) / (batch_index + 1);
      std::ostringstream postfix;
      for (size_t k = 0; k < item_names.size(); ++k)
        postfix << item_names[k] << ' ' << std::setprecision(4) << mean_items[k].item<double>()
                << ' ';
      bar.set_postfix(postfix.str());
      bar.update();
      ++batch_index;
    }
    bar.close();
    if (q.enabled && q.oscillation.track) {
      const auto osc_path = summary.run_dir / "oscillation.csv";
      const bool header = !fs::exists(osc_path);
      std::ofstream osc(osc_path, std::ios::app);
      if (header) osc << "epoch,path,layer,oscillating_fraction,frozen,weights\n";
      for (const auto& layer : quant::oscillation_report(sites, q.oscillation.threshold))
        osc << epoch << ',' << layer.path << ',' << layer.layer << ',' << layer.oscillating_fraction
            << ',' << layer.frozen << ',' << layer.weights << '\n';
    }

    const auto val_loss = [&](const nn::ModelOutput& output, const data::Batch& batch) {
      const auto images = normalize_images(batch.images, device);
      return loss(output, images, batch.targets.to(device),
                  batch.masks.defined() ? batch.masks.to(device) : batch.masks)
          .items;
    };
    auto& ema_model = static_cast<nn::ModelImpl&>(ema.module());
    const auto result = eval::validate(ema_model, *val_loader, nc, val_options, val_loss);
    const auto& box = result.box;
    const double fitness = box.fitness;

    {
      std::ofstream csv(results_path, std::ios::app);
      csv << epoch;
      for (int64_t k = 0; k < mean_items.size(0); ++k) csv << ',' << mean_items[k].item<double>();
      csv << ',' << box.summary.mp << ',' << box.summary.mr << ',' << box.summary.map50 << ','
          << box.summary.map50_95;
      for (const double v : result.loss_items) csv << ',' << v;
      for (auto& group : optimizer->param_groups()) csv << ',' << group_lr(group);
      csv << '\n';
    }

    const bool improved = fitness > summary.best_fitness || summary.best_epoch < 0;
    if (improved) {
      summary.best_fitness = fitness;
      summary.best_epoch = epoch;
      epochs_without_improvement = 0;
    } else {
      ++epochs_without_improvement;
    }

    Checkpoint ckpt;
    ckpt.model_yaml = model->yaml_text();
    ckpt.config_yaml = config::to_yaml(config);
    ckpt.epoch = epoch;
    ckpt.meta_json = "{\"stage\": " + std::to_string(stage) + "}";
    ckpt.model = cpu_copy(module_state(*model));
    ckpt.ema = cpu_copy(ema.state());
    ckpt.ema_updates = static_cast<double>(ema.updates());
    ckpt.optimizer = optimizer_state_bytes(*optimizer);
    ckpt.extra["last_optimizer_step"] = torch::tensor(step.last_optimizer_step());
    ckpt.extra["rng_state"] = at::detail::getDefaultCPUGenerator().get_state();
    ckpt.metrics = {{"fitness", fitness},          {"best_fitness", summary.best_fitness},
                    {"precision", box.summary.mp}, {"recall", box.summary.mr},
                    {"mAP50", box.summary.map50},  {"mAP50-95", box.summary.map50_95}};
    save_checkpoint(ckpt, weights_dir / "last.qyolo");
    eval::plot_results(results_path, summary.run_dir / "results.png");
    if (box.per_class) eval::plot_ap_curves(*box.per_class, data.names, summary.run_dir);
    eval::plot_confusion_matrix(result.confusion, data.names,
                                summary.run_dir / "confusion_matrix.png");
    if (improved) save_checkpoint(ckpt, weights_dir / "best.qyolo");
    if (tc.save_period > 0 && (epoch + 1) % tc.save_period == 0)
      save_checkpoint(ckpt, weights_dir / ("epoch" + std::to_string(epoch) + ".qyolo"));
    summary.epochs_completed = epoch + 1;
    // COCO-format predictions of the latest EMA model, for pycocotools-exact scoring.
    if (config.eval.save_json)
      write_file_atomic(summary.run_dir / "predictions.json", result.predictions.dump());
    spdlog::info("epoch {}: P {:.4f} R {:.4f} mAP50 {:.4f} mAP50-95 {:.4f} fitness {:.4f}", epoch,
                 box.summary.mp, box.summary.mr, box.summary.map50, box.summary.map50_95, fitness);

    if (epochs_without_improvement >= tc.patience) {
      spdlog::info("Stopping early: no improvement in the last {} epochs (best epoch {})",
                   tc.patience, summary.best_epoch);
      break;
    }
  }
  return summary;
}

}  // namespace qyolo::train
