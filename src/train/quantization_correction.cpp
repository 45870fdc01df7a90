#include "qyolo/train/quantization_correction.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <unordered_map>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/input_file.h"
#include "qyolo/core/progress.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/distributed/context.h"
#include "qyolo/distributed/data_parallel.h"
#include "qyolo/eval/eval_split.h"
#include "qyolo/eval/validator.h"
#include "qyolo/nn/image_size.h"
#include "qyolo/quant/correction.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/quant/policy.h"
#include "qyolo/train/batch_norm_recalibration.h"
#include "qyolo/train/run_process.h"
#include "qyolo/train/task_loss.h"
#include "qyolo/train/train_step.h"

namespace qyolo::train {
namespace {

// Box mAP (and, for Segment heads, mask mAP in the log line).
CorrectionMetrics measure(nn::ModelImpl& model, data::Loader& val, const std::string& what) {
  const bool masks = model.nm() > 0;
  const auto r = eval::validate(model, val, model.nc(), eval::ValidationOptions().masks(masks));
  if (r.mask) {
    spdlog::info("{}: box mAP50 {:.4f}, mAP50-95 {:.4f}; mask mAP50 {:.4f}, mAP50-95 {:.4f}", what,
                 r.box.summary.map50, r.box.summary.map50_95, r.mask->summary.map50,
                 r.mask->summary.map50_95);
  } else {
    spdlog::info("{}: mAP50 {:.4f}, mAP50-95 {:.4f}", what, r.box.summary.map50,
                 r.box.summary.map50_95);
  }
  return {r.box.summary.map50, r.box.summary.map50_95};
}

std::vector<torch::Tensor> quantizer_scales(nn::ModelImpl& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.named_parameters()) {
    const auto& name = p.key();
    if (name.find(".quant.") == std::string::npos) continue;
    // A fixed grid (the image's) is not a scale to train.
    if (name.find("_quantizer.") != std::string::npos && p.value().requires_grad()) {
      out.push_back(p.value());
    }
  }
  return out;
}

}  // namespace

std::optional<std::filesystem::path> newest_best_checkpoint(const std::filesystem::path& project) {
  std::optional<std::filesystem::path> best;
  std::filesystem::file_time_type newest{};
  if (!std::filesystem::is_directory(project)) return best;
  for (const auto& run : std::filesystem::directory_iterator(project)) {
    const auto candidate = run.path() / "weights" / "best.qyolo";
    if (!std::filesystem::exists(candidate)) continue;
    const auto t = std::filesystem::last_write_time(candidate);
    if (!best || t > newest) best = candidate, newest = t;
  }
  return best;
}

namespace {

// Without weights: the newest best.qyolo under o.project.
std::filesystem::path newest_run_to_correct(const CorrectionOptions& o) {
  const auto newest = newest_best_checkpoint(o.project);
  if (!newest) {
    throw UsageError("no --weights and no " + o.project.string() +
                     "/*/weights/best.qyolo to correct: train a quantized model first, e.g. "
                     "qyolo train --config fashiondet/yolov5n_w4a4.yaml");
  }
  spdlog::info("correcting the newest run's best model: {}", newest->string());
  return *newest;
}

}  // namespace

CorrectionSummary correct(const CorrectionOptions& o) {
  const std::filesystem::path weights = o.weights.empty() ? newest_run_to_correct(o) : o.weights;
  require_checkpoint_file(weights.string(), "--weights");
  const Checkpoint ckpt = load_checkpoint(weights);
  auto restored = quant::restore_model(ckpt, weights.string());
  const auto& cfg = restored.config;
  nn::Model model = restored.model;
  // What would otherwise fail only after the data is read: the checkpoint's training size suits
  // the model, and the data has the model's classes.
  nn::check_image_size(cfg.train.imgsz, nn::training_stride(*model),
                       "train.imgsz (of " + weights.string() + ")");
  const auto d =
      data::load_data_yaml(o.data.empty() ? config::resolve_path(cfg.data, cfg.source.parent_path())
                                          : config::resolve_path(o.data));
  eval::require_same_classes(model->nc(), d.nc, weights.string(), d.source.string());
  if (!cfg.quant.enabled) {
    throw UsageError(weights.string() +
                     " is not a quantized model (its config has quant.enabled "
                     "false): quantization correction applies to QAT checkpoints");
  }
  RunProcess process = join_run(o.batch, o.device, o.dist_timeout);
  distributed::Context& context = process.context;
  const torch::Device device = process.device;
  const bool main_rank = context.is_main();
  model->to(device);
  model->eval();
  data::require_dataset(d);
  const bool seg = model->nm() > 0;
  data::ScanOptions scan;
  if (seg) scan.labels_dir = "labels-seg";
  scan.strict = cfg.train.strict_data;
  const auto masks = seg ? data::MaskFormat::kOverlap : data::MaskFormat::kNone;
  config::TrainConfig train_cfg = cfg.train;
  train_cfg.batch = o.batch;
  train_cfg.workers = o.workers;
  train_cfg.fraction = 1.0;
  train_cfg.rect = false;
  const int stride = static_cast<int>(model->max_stride());
  std::vector<data::LabeledImage> train_images;
  std::unique_ptr<data::Loader> loader, val;  // only rank 0 validates
  // Rank 0 scans first and writes the label caches; the others then read them.
  distributed::main_first(context, [&] {
    train_images = data::scan_split(d, "train", scan).images;
    if (o.images > 0 && o.images < static_cast<int>(train_images.size())) {
      std::mt19937_64 rng(static_cast<uint64_t>(cfg.train.seed));
      std::shuffle(train_images.begin(), train_images.end(), rng);
      train_images.resize(o.images);
    }
    loader = data::make_train_loader(train_images, cfg.hyp, train_cfg, masks, stride,
                                     data::ProcessRank{context.rank(), context.world_size()});
    if (o.validate && main_rank) {
      val = data::make_val_loader(data::scan_split(d, "val", scan).images, cfg.train.imgsz,
                                  cfg.eval.batch, o.workers, masks, stride, cfg.train.strict_data);
    }
  });

  CorrectionSummary summary;
  summary.images = static_cast<int64_t>(train_images.size());
  if (val) summary.before = measure(*model, *val, "before correction (EMA model)");
  if (o.recalibrate_bn) {
    recalibrate_batch_norms(*model, *loader, o.recalibrate_batches, device);
    distributed::broadcast_module(*model, context);  // rank 0's statistics for everyone
    if (val) summary.after_recalibration = measure(*model, *val, "after BN recalibration");
  }

  const auto sites = model->conv_sites();
  std::unordered_map<std::string, bool> learnable;
  for (const auto& p : model->named_parameters()) learnable[p.key()] = p.value().requires_grad();
  quant::enable_correction(sites);
  model->to(device);
  std::vector<torch::Tensor> trainable;
  if (o.train_scales) trainable = quantizer_scales(*model);
  for (auto& p : model->parameters()) p.set_requires_grad(false);
  const auto correction = quant::correction_parameters(sites);
  trainable.insert(trainable.end(), correction.begin(), correction.end());
  for (auto& p : trainable) p.set_requires_grad(true);
  for (const auto& p : trainable) summary.trained_parameters += p.numel();
  torch::optim::Adam optimizer(trainable, torch::optim::AdamOptions(o.lr));
  distributed::DataParallel data_parallel(*model, context);
  TaskLoss loss(*model, cfg.hyp, cfg.train.imgsz);
  model->eval();  // BN statistics stay frozen: only γ, β (and optionally the steps) move

  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    loader->start_epoch(epoch);
    std::optional<ProgressBar> bar;
    if (main_rank) {
      bar.emplace(loader->size(),
                  "QC epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs));
    }
    int64_t batch_index = 0;
    while (auto batch = loader->next()) {
      const auto images = normalize_images(batch->images, device);
      const auto output = model->forward(images);
      const auto l = loss(output, images, batch->targets.to(device),
                          batch->masks.defined() ? batch->masks.to(device) : torch::Tensor());
      if (!torch::isfinite(l.loss).all().item<bool>()) {
        throw Error("quantization correction: non-finite loss at epoch " + std::to_string(epoch) +
                    ", batch " + std::to_string(batch_index) + " (first image " +
                    batch->paths.front() + "); nothing was written");
      }
      optimizer.zero_grad();
      // Gradients are averaged over ranks; each rank's loss sums over its share of the batch.
      (l.loss.sum() * context.world_size()).backward();
      data_parallel.synchronize();
      optimizer.step();
      const auto items = l.items.detach().cpu();
      std::string postfix;
      const auto names = loss.item_names();
      for (size_t i = 0; i < names.size() && static_cast<int64_t>(i) < items.numel(); ++i) {
        postfix += fmt::format("{} {:.4f} ", names[i], items[i].item<double>());
      }
      if (bar) {
        bar->set_postfix(postfix);
        bar->update();
      }
      ++batch_index;
    }
    if (bar) bar->close();
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  {
    torch::NoGradGuard no_grad;
    quant::fold_correction(sites);
  }
  for (auto& p : model->named_parameters()) {
    const auto it = learnable.find(p.key());
    p.value().set_requires_grad(it == learnable.end() || it->second);
  }
  if (val) summary.after = measure(*model, *val, "after correction (folded)");

  Checkpoint out;
  out.kind = "corrected";
  out.model_yaml = model->yaml_text();
  out.config_yaml = ckpt.config_yaml;
  out.quant_policy = ckpt.quant_policy;
  out.epoch = ckpt.epoch;
  model->to(torch::kCPU);
  out.model = model->state();
  nlohmann::json meta = {{"stage", restored.stage},       {"corrected_from", weights.string()},
                         {"qc_epochs", o.epochs},         {"qc_lr", o.lr},
                         {"qc_images", summary.images},   {"recalibrate_bn", o.recalibrate_bn},
                         {"train_scales", o.train_scales}};
  out.meta_json = meta.dump();
  if (summary.before) out.metrics["before/mAP50-95"] = summary.before->map50_95;
  if (summary.after) {
    out.metrics["metrics/mAP_0.5"] = summary.after->map50;
    out.metrics["metrics/mAP_0.5:0.95"] = summary.after->map50_95;
  }
  summary.output = o.output.empty() ? weights.parent_path() / "corrected.qyolo" : o.output;
  if (main_rank) save_checkpoint(out, summary.output);
  context.barrier();  // nobody reports success before the file is there
  return summary;
}

}  // namespace qyolo::train
