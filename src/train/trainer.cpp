#include "qyolo/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <optional>
#include <sstream>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/finite_check.h"
#include "qyolo/core/input_file.h"
#include "qyolo/core/logging.h"
#include "qyolo/core/progress.h"
#include "qyolo/core/run_dir.h"
#include "qyolo/data/create_loader.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/plot_batch.h"
#include "qyolo/distributed/context.h"
#include "qyolo/distributed/data_parallel.h"
#include "qyolo/distributed/sync_batch_norm.h"
#include "qyolo/eval/plots.h"
#include "qyolo/eval/validation_plots.h"
#include "qyolo/eval/validator.h"
#include "qyolo/nn/conv.h"
#include "qyolo/nn/image_size.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/compression.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/quant/oscillation.h"
#include "qyolo/quant/oscillation_damping.h"
#include "qyolo/quant/policy.h"
#include "qyolo/train/autoanchor.h"
#include "qyolo/train/batch_norm_recalibration.h"
#include "qyolo/train/epoch_csv.h"
#include "qyolo/train/interrupt.h"
#include "qyolo/train/optimizer.h"
#include "qyolo/train/run_process.h"
#include "qyolo/train/stage_plan.h"
#include "qyolo/train/train_step.h"

namespace qyolo::train {

namespace fs = std::filesystem;

fs::path resume_run_dir(const fs::path& checkpoint, const config::TrainConfig& train) {
  const fs::path folder = checkpoint.parent_path();
  if (folder.filename() == "weights") return folder.has_parent_path() ? folder.parent_path() : ".";
  return increment_run_dir(fs::path(train.project) / train.name, train.exist_ok);
}

namespace {

TensorMap cpu_copy(const std::map<std::string, torch::Tensor>& state) {
  TensorMap out;
  for (const auto& [name, value] : state) out.emplace(name, value.detach().cpu().clone());
  return out;
}

std::string results_header(const std::vector<std::string>& items, bool masks, bool stages,
                           bool latent) {
  std::ostringstream s;
  s << "epoch";
  for (const auto& item : items) s << ",train/" << item << "_loss";
  s << ",metrics/precision,metrics/recall,metrics/mAP_0.5,metrics/mAP_0.5:0.95";
  if (masks) {
    s << ",metrics/precision(M),metrics/recall(M),metrics/mAP_0.5(M),metrics/mAP_0.5:0.95(M)";
  }
  for (const auto& item : items) s << ",val/" << item << "_loss";
  s << ",x/lr0,x/lr1,x/lr2";
  if (stages) s << ",x/stage";
  if (latent) s << ",metrics/mAP_0.5(latent),metrics/mAP_0.5:0.95(latent)";
  return s.str();
}

// What is rebuilt when a stage starts: the optimizer over the stage's parameters, its LR
// schedule (warmup included), gradient averaging over the ranks and the training step.
struct StageTraining {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  std::unique_ptr<distributed::DataParallel> data_parallel;
  std::unique_ptr<TrainStep> step;
};

// Data-parallel ranks must hold the same parameters after every step; a difference means the
// gradient averaging broke, and training on would silently waste the run.
// With SyncBatchNorm the BN statistics (buffers) must agree too.
void check_ranks_in_sync(const nn::ModelImpl& model, distributed::Context& context, int epoch,
                         bool buffers) {
  if (!context.is_distributed()) return;
  double checksum = 0;
  for (const auto& p : model.parameters()) checksum += p.detach().sum().item<double>();
  if (buffers)
    for (const auto& b : model.buffers())
      if (b.is_floating_point()) checksum += b.sum().item<double>();
  const auto all = context.all_gather(torch::tensor({checksum}, torch::kDouble));
  for (size_t r = 0; r < all.size(); ++r) {
    const double other = all[r].item<double>();
    if (std::abs(other - checksum) > 1e-6 * std::max(1.0, std::abs(checksum))) {
      throw Error("after epoch " + std::to_string(epoch) + " the weights of rank " +
                  std::to_string(r) + " differ from those of rank " +
                  std::to_string(context.rank()) + " (checksum " + std::to_string(other) + " vs " +
                  std::to_string(checksum) + "): data-parallel ranks diverged");
    }
  }
}

// train.sync_bn: every Conv block's BatchNorm computes its training statistics over the global
// batch (SyncBatchNorm2d sharing the BN's tensors, so checkpoints do not change).
int synchronize_batch_norms(nn::ModelImpl& model, distributed::Context& context) {
  int count = 0;
  for (const auto& module : model.modules(false)) {
    auto* conv = dynamic_cast<nn::ConvImpl*>(module.get());
    if (conv == nullptr || !conv->bn) continue;
    distributed::SyncBatchNorm2d sync(conv->bn, context);
    conv->training_norm = [sync = sync.ptr()](const torch::Tensor& y) { return sync->forward(y); };
    ++count;
  }
  return count;
}

// Rank 0 decides (early stopping); every rank follows.
bool decided_by_main(bool value, distributed::Context& context) {
  auto flag = torch::tensor({value ? 1 : 0}, torch::kInt32);
  context.broadcast({flag});
  return flag.item<int>() != 0;
}

// ultralytics: "training to N epochs is finished, nothing to resume". Raised before anything
// is written, with the run's real best fitness.
void refuse_finished_run(const Checkpoint& checkpoint, const fs::path& path, int total_epochs) {
  if (checkpoint.epoch + 1 < total_epochs) return;
  const auto metric = [&](const char* key, double fallback) {
    const auto it = checkpoint.metrics.find(key);
    return it == checkpoint.metrics.end() ? fallback : it->second;
  };
  throw UsageError(fmt::format(
      "{}: training to {} epochs is finished (best fitness {:.4f} at epoch {}), nothing to "
      "resume; to train further, start a new run from it with --weights {}",
      path.string(), total_epochs, metric("best_fitness", 0.0),
      static_cast<int>(metric("best_epoch", static_cast<double>(checkpoint.epoch))),
      path.string()));
}

// A run folder this run creates is removed again when the run fails before its first epoch:
// config, data and model errors found while setting up leave no empty run behind.
class NewRunFolderGuard {
 public:
  explicit NewRunFolderGuard(const fs::path& dir) : dir_(fs::exists(dir) ? fs::path() : dir) {}
  ~NewRunFolderGuard() {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }
  NewRunFolderGuard(const NewRunFolderGuard&) = delete;
  NewRunFolderGuard& operator=(const NewRunFolderGuard&) = delete;
  void keep() { dir_.clear(); }

 private:
  fs::path dir_;
};

// Creates (or reopens, when resuming) the run folder: weights/, the resolved config.yaml and
// train.log. Temp files of checkpoint writes a killed run left are removed, and a resumed run's
// per-epoch CSVs lose the rows of epochs its checkpoint does not have.
void open_run_folder(const fs::path& run_dir, const config::ExperimentConfig& config,
                     std::optional<int> resumed_epoch) {
  const auto weights_dir = run_dir / "weights";
  fs::create_directories(weights_dir);
  logging::add_file(run_dir / "train.log");
  const int stale = remove_stale_temp_files(run_dir) + remove_stale_temp_files(weights_dir);
  if (stale > 0)
    spdlog::info("Removed {} temp file(s) of writes an interrupted run left behind", stale);
  write_file_atomic(run_dir / "config.yaml", config::to_yaml(config));
  if (!resumed_epoch) return;
  for (const char* csv : {"results.csv", "oscillation.csv"}) {
    if (const int dropped = keep_epoch_rows_through(run_dir / csv, *resumed_epoch); dropped > 0) {
      spdlog::warn("{}: dropped {} row(s) after epoch {}, the checkpoint's last epoch", csv,
                   dropped, *resumed_epoch);
    }
  }
}

// What a run that stops early points to: the checkpoint to resume from, if any.
std::string resume_hint(const fs::path& resume_point) {
  return resume_point.empty() ? "no checkpoint was written yet, nothing to resume"
                              : "resume with qyolo train --resume " + resume_point.string();
}

// A diverged run (learning rate too high, ...) must not overwrite the last good checkpoint with
// NaN weights: the trained model, its EMA and their BN statistics are checked after each epoch.
void require_finite_weights(const nn::ModelImpl& model, const std::optional<ModelEma>& ema,
                            int epoch, const config::Hyp& hyp, const fs::path& resume_point) {
  const auto fail = [&](const std::string& which, const FiniteCheck& check) {
    throw Error(fmt::format(
        "after epoch {} the {} weights are not finite: {}. Training stopped before writing "
        "them (the learning rate may be too high: hyp.lr0 = {}, hyp.warmup_epochs = {}); {}",
        epoch, which, check.to_string(), hyp.lr0, hyp.warmup_epochs, resume_hint(resume_point)));
  };
  if (const auto check = check_finite(module_state(model)); !check.ok()) fail("model", check);
  if (!ema) return;
  if (const auto check = check_finite(ema->state()); !check.ok()) fail("EMA", check);
}

void require_finite_validation_losses(const std::vector<double>& losses,
                                      const std::vector<std::string>& names, int epoch,
                                      const fs::path& resume_point) {
  std::string bad;
  for (size_t k = 0; k < losses.size(); ++k)
    if (!std::isfinite(losses[k]))
      bad += fmt::format("{}{} {}", bad.empty() ? "" : ", ", names.at(k), losses[k]);
  if (bad.empty()) return;
  throw Error(fmt::format(
      "epoch {}: the validation losses are not finite ({}). Training stopped before writing "
      "the checkpoint; {}",
      epoch, bad, resume_hint(resume_point)));
}

// A plot is not worth a run: one that cannot be drawn or written is a warning.
void plot_or_warn(const std::string& what, const std::function<void()>& plot) {
  try {
    plot();
  } catch (const std::exception& e) {
    spdlog::warn("{} not written: {}; training continues", what, e.what());
  }
}

// Every rank stops at the same batch when any of them got the signal: a rank that stopped alone
// would leave the others waiting in the next gradient all-reduce.
bool interrupt_agreed(const InterruptHandler& interrupt, distributed::Context& context) {
  if (!context.is_distributed()) return interrupt.requested();
  auto flag = torch::tensor({interrupt.requested() ? 1 : 0}, torch::kInt32);
  context.all_reduce_sum({flag});
  return flag.item<int>() > 0;
}

// train.imgsz must suit the model before any data is read: the model is built once for its
// stride (it costs a fraction of a second; a size off the stride fails deep in the first epoch).
void check_train_image_size(const config::ExperimentConfig& cfg) {
  if (cfg.model.empty()) return;  // building the model says what is missing
  const nn::Model model(config::resolve_path(cfg.model, cfg.source.parent_path()));
  nn::check_image_size(cfg.train.imgsz, nn::training_stride(*model), "train.imgsz");
}

}  // namespace

config::ExperimentConfig load_run_config(const std::string& config, const std::string& resume,
                                         const std::vector<std::string>& overrides) {
  if (!resume.empty()) {
    require_checkpoint_file(resume, "--resume");
    return config::parse_experiment(load_checkpoint(resume).config_yaml, resume + " (config)",
                                    overrides);
  }
  if (config.empty()) {
    throw UsageError(
        "give --config <experiment yaml> (e.g. configs/fashiondet/yolov5n_fp.yaml) "
        "or --resume <run>/weights/last.qyolo");
  }
  return config::load_experiment(config, overrides);
}

TrainSummary train(const config::ExperimentConfig& config, const TrainRunOptions& options) {
  check_train_image_size(config);
  const auto& tc = config.train;
  const auto& q = config.quant;
  const auto stages = plan_stages(config);
  const bool pnq = stages.front().index >= 0;
  const int total_epochs = stages.back().end_epoch();
  Checkpoint resumed;
  const bool resuming = !options.resume.empty();
  if (resuming) {
    resumed = load_checkpoint(options.resume);
    refuse_finished_run(resumed, options.resume, total_epochs);
  }

  RunProcess process = join_run(tc.batch, tc.device, tc.dist_timeout);
  distributed::Context& context = process.context;
  const torch::Device device = process.device;
  const bool main_rank = context.is_main();
  torch::manual_seed(tc.seed);
  // train.deterministic, as ultralytics' init_seeds: deterministic kernels where ATen has them
  // (a warning names any op that has none), cuDNN without autotuning. CPU kernels already are.
  at::globalContext().setDeterministicAlgorithms(tc.deterministic, /*warn_only=*/true);
  at::globalContext().setDeterministicCuDNN(tc.deterministic);
  at::globalContext().setBenchmarkCuDNN(!tc.deterministic);
  if (context.is_distributed()) {
    spdlog::info("Data parallel: {} processes ({}), {} images per process and step",
                 context.world_size(), context.backend(), tc.batch / context.world_size());
  }

  // Data. Rank 0 scans first and writes the label caches; the others then read them.
  const auto data =
      data::load_data_yaml(config::resolve_path(config.data, config.source.parent_path()));
  data::require_dataset(data);

  TrainSummary summary;
  summary.run_dir = resuming ? resume_run_dir(options.resume, tc)
                             : increment_run_dir(fs::path(tc.project) / tc.name, tc.exist_ok);
  const auto weights_dir = summary.run_dir / "weights";
  std::optional<NewRunFolderGuard> new_run_folder;
  if (main_rank) {
    new_run_folder.emplace(summary.run_dir);
    open_run_folder(summary.run_dir, config,
                    resuming ? std::optional<int>(static_cast<int>(resumed.epoch)) : std::nullopt);
    if (resuming && options.resume.parent_path().filename() != "weights") {
      spdlog::info("{} is not in a run's weights/ folder; the resumed run writes to {}",
                   options.resume.string(), summary.run_dir.string());
    }
  }
  const int64_t nc = config.nc > 0 ? config.nc : data.nc;

  // Where the run starts: the stage of the last completed epoch when resuming.
  const int start_epoch = resuming ? static_cast<int>(resumed.epoch) + 1 : 0;
  size_t model_stage = resuming ? stage_position(stages, static_cast<int>(resumed.epoch)) : 0;
  nn::Model model = quant::build_model(config, nc, stages[model_stage].index);
  if (!resuming && !tc.weights.empty()) {
    // Tensors missing from the file (a new head, fresh quantizers) keep their initial values.
    const auto report = model->load_weights(load_weights_file(tc.weights));
    if (main_rank) spdlog::info("{}: {}", tc.weights, report.to_string());
  }
  const bool segment = model->head_kind() == nn::HeadKind::kSegment;
  const auto masks = segment ? data::MaskFormat::kOverlap : data::MaskFormat::kNone;
  data::ScanOptions scan;
  scan.nc = static_cast<int>(nc);
  scan.strict = tc.strict_data;
  if (segment) scan.labels_dir = "labels-seg";
  const int stride = static_cast<int>(std::max<int64_t>(model->max_stride(), 32));
  std::unique_ptr<data::Loader> train_loader, val_loader;  // only rank 0 validates
  distributed::main_first(context, [&] {
    train_loader =
        data::make_train_loader(data::scan_split(data, "train", scan).images, config.hyp, tc, masks,
                                stride, data::ProcessRank{context.rank(), context.world_size()});
    if (main_rank) {
      val_loader = data::make_val_loader(data::scan_split(data, "val", scan).images, tc.imgsz,
                                         tc.batch * 2, tc.workers, masks, stride, tc.strict_data);
    }
  });
  model->to(device);
  // AutoAnchor before the loss and the EMA copy the anchors, as train.py (not when resuming).
  if (!resuming && !tc.noautoanchor)
    check_run_anchors(model->head(), train_loader->dataset(), config, context);
  if (tc.sync_bn && context.is_distributed())
    spdlog::info("SyncBatchNorm in {} Conv blocks", synchronize_batch_norms(*model, context));

  // The EMA twin has the same architecture and quantizers (quant.ema: false trains without it
  // and validates the latent model).
  const bool use_ema = !q.enabled || q.ema;
  std::shared_ptr<torch::nn::Module> shadow;
  if (use_ema) {
    shadow = quant::build_model(config, nc, stages[model_stage].index).ptr();
    shadow->to(device);
  }
  std::optional<ModelEma> ema;
  // LSQ vs EMA per epoch (WACV 2024): the latent weights are what training without an EMA gives.
  const bool val_latent = use_ema && tc.val_latent;
  if (tc.val_latent && !use_ema)
    spdlog::warn("train.val_latent: quant.ema is false, so the latent model is the one validated");

  // Activation steps start from the first calib_batches training batches of rank 0; the
  // others receive them when gradient averaging broadcasts the model.
  const auto calibrate = [&] {
    if (!q.enabled || !main_rank) return;
    std::vector<torch::Tensor> calibration;
    train_loader->start_epoch(0);
    while (static_cast<int>(calibration.size()) < q.calib_batches) {
      auto batch = train_loader->next();
      if (!batch) break;
      calibration.push_back(normalize_images(batch->images, device));
    }
    const int initialised = quant::calibrate_activations(
        *model, calibration, quant::parse_act_init(q.act_init, "quant.act_init"));
    spdlog::info("Calibrated {} activation quantizers on {} batches", initialised,
                 calibration.size());
  };
  if (resuming) {
    load_module_state(*model, resumed.model, options.resume.string());
    if (resumed.extra.count("rng_state"))
      at::Generator(at::detail::getDefaultCPUGenerator()).set_state(resumed.extra.at("rng_state"));
    spdlog::info("Resuming {} from epoch {}", options.resume.string(), start_epoch);
  } else {
    calibrate();
  }
  if (use_ema) {
    ema.emplace(shadow, *model, tc.ema_decay, tc.ema_tau);
    if (resuming) ema->load_state(resumed.ema, static_cast<int64_t>(resumed.ema_updates));
  }

  TaskLoss loss(*model, config.hyp, tc.imgsz);
  const auto sites = model->conv_sites();
  const auto item_names = loss.item_names();
  const auto results_path = summary.run_dir / "results.csv";
  // A run resumed into a new folder starts a new results.csv.
  if (main_rank && (start_epoch == 0 || !fs::exists(results_path)))
    std::ofstream(results_path) << results_header(item_names, segment, pnq, val_latent) << '\n';
  const eval::ValidationOptions val_options = eval::ValidationOptions()
                                                  .conf_thres(config.eval.conf)
                                                  .iou_thres(config.eval.iou)
                                                  .max_det(config.eval.max_det)
                                                  .masks(segment)
                                                  .save_json(config.eval.save_json);
  const int64_t nb = train_loader->size();
  double progress = 0;  // fraction of the stage done, for the dampening schedule
  // The checkpoint a run stopped from here resumes from (updated as last.qyolo is written).
  fs::path resume_point = resuming ? options.resume : fs::path();
  if (new_run_folder) new_run_folder->keep();
  // Ctrl-C / SIGTERM from here on stop at the next batch (before that, they end the process).
  const InterruptHandler interrupt;
  const auto stop_interrupted = [&](const std::string& when) {
    summary.interrupted_by = interrupt.signal_number();
    if (main_rank) {
      spdlog::warn("Interrupted by {} {}; {}", signal_name(summary.interrupted_by), when,
                   resume_hint(resume_point));
    }
    return summary;
  };

  for (size_t pos = model_stage; pos < stages.size(); ++pos) {
    const TrainStage& stage = stages[pos];
    if (start_epoch >= stage.end_epoch()) continue;  // resumed right after this stage ended
    const bool resumed_stage = resuming && pos == model_stage;
    if (pos != model_stage) {
      // PNQ: the new stage's quantizers on both models, the previous stage's EMA weights as the
      // starting point, the new activation quantizers initialised from data, a fresh EMA.
      const quant::Policy policy(q);
      quant::apply(*model, policy, stage.index);
      model->to(device);
      if (ema) {
        quant::apply(static_cast<nn::ModelImpl&>(*shadow), policy, stage.index);
        shadow->to(device);
        load_module_state(*model, ema->state(), "the previous stage's EMA");
      }
      calibrate();
      if (ema) ema.emplace(shadow, *model, tc.ema_decay, tc.ema_tau);
      model_stage = pos;
    }
    if (pnq) {
      spdlog::info("PNQ stage {}/{} '{}': epochs {}-{}\n{}", pos + 1, stages.size(), stage.name,
                   stage.first_epoch, stage.end_epoch() - 1,
                   quant::to_string(quant::describe(sites)));
    }

    StageTraining st;
    LrScheduleOptions so;
    so.hyp = config.hyp;
    so.epochs = stage.epochs;
    so.cos_lr = tc.cos_lr;
    so.batches_per_epoch = nb;
    so.batch_size = tc.batch;
    so.nbs = tc.nbs;
    st.schedule = std::make_unique<LrSchedule>(so);
    st.optimizer = make_optimizer(group_parameters(*model), tc.optimizer, config.hyp.lr0,
                                  config.hyp.momentum, st.schedule->weight_decay());
    // Broadcasts rank 0's model (its calibrated steps included) before the first step.
    st.data_parallel = std::make_unique<distributed::DataParallel>(*model, context);
    TrainStepOptions step_options;
    step_options.loss_scale = context.world_size();
    if (context.is_distributed())
      step_options.after_backward = [dp = st.data_parallel.get()] { dp->synchronize(); };
    if (tc.multi_scale) {
      step_options.multi_scale =
          MultiScaleOptions().imgsz(tc.imgsz).stride(stride).seed(static_cast<uint64_t>(tc.seed));
    }
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
    st.step = std::make_unique<TrainStep>(model, loss, *st.optimizer, *st.schedule,
                                          ema ? &*ema : nullptr, step_options);

    double best_fitness = 0;  // per stage: the final stage's best is the run's best.qyolo
    int best_epoch = -1;
    if (resumed_stage) {
      load_optimizer_state(*st.optimizer, resumed.optimizer);
      st.step->set_last_optimizer_step(resumed.extra.at("last_optimizer_step").item<int64_t>());
      best_fitness = resumed.metrics.count("best_fitness") ? resumed.metrics.at("best_fitness") : 0;
      best_epoch = resumed.metrics.count("best_epoch")
                       ? static_cast<int>(resumed.metrics.at("best_epoch"))
                       : static_cast<int>(resumed.epoch);
    }

    int epochs_without_improvement = 0;
    for (int epoch = std::max(start_epoch, stage.first_epoch); epoch < stage.end_epoch(); ++epoch) {
      const int stage_epoch = epoch - stage.first_epoch;
      if (tc.close_mosaic > 0 && epoch >= total_epochs - tc.close_mosaic &&
          train_loader->dataset().mosaic()) {
        spdlog::info("Closing dataloader mosaic");
        train_loader->dataset().set_mosaic(false);
      }
      train_loader->start_epoch(epoch);
      const auto epoch_start = std::chrono::steady_clock::now();
      std::optional<ProgressBar> bar;
      if (main_rank)
        bar.emplace(nb, "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(total_epochs));
      torch::Tensor mean_items;
      int64_t batch_index = 0;
      bool interrupted = false;
      while (auto batch = train_loader->next()) {
        const int64_t ni = batch_index + nb * stage_epoch;
        progress = static_cast<double>(ni) / static_cast<double>(nb * stage.epochs);
        if (main_rank && epoch == 0 && batch_index == 0) {
          plot_or_warn("train_batch0.jpg", [&] {
            data::save_batch_plot(*batch, data.names, summary.run_dir / "train_batch0.jpg");
          });
        }
        const auto items = st.step->run(*batch, ni, stage_epoch, batch_index).cpu();
        mean_items =
            batch_index == 0 ? items : (mean_items * batch_index + items) / (batch_index + 1);
        if (bar) {
          std::ostringstream postfix;
          for (size_t k = 0; k < item_names.size(); ++k)
            postfix << item_names[k] << ' ' << std::setprecision(4) << mean_items[k].item<double>()
                    << ' ';
          bar->set_postfix(postfix.str());
          bar->update();
        }
        ++batch_index;
        if ((interrupted = interrupt_agreed(interrupt, context))) break;
      }
      if (bar) bar->close();
      // An epoch cut short is not checkpointed: the run resumes from the previous one.
      if (interrupted) {
        return stop_interrupted(
            fmt::format("in epoch {} after {}/{} batches", epoch, batch_index, nb));
      }
      const double train_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();

      bool stop = false;
      if (main_rank) {
        if (q.enabled && q.oscillation.track) {
          const auto osc_path = summary.run_dir / "oscillation.csv";
          const bool header = !fs::exists(osc_path);
          {
            std::ofstream osc(osc_path, std::ios::app);
            if (header) osc << "epoch,path,layer,oscillating_fraction,frozen,weights\n";
            for (const auto& layer : quant::oscillation_report(sites, q.oscillation.threshold))
              osc << epoch << ',' << layer.path << ',' << layer.layer << ','
                  << layer.oscillating_fraction << ',' << layer.frozen << ',' << layer.weights
                  << '\n';
          }
          plot_or_warn("oscillation.png", [&] {
            eval::plot_oscillation(osc_path, summary.run_dir / "oscillation.png");
          });
        }

        // Validation of the EMA model (or the latent one without EMA); without train.val only
        // after the last epoch, as train.py --noval.
        auto& validated = ema ? static_cast<nn::ModelImpl&>(ema->module()) : *model;
        const bool validate = tc.val || epoch == total_epochs - 1;
        const bool stage_end = pnq && epoch == stage.end_epoch() - 1;
        // Fresh BN statistics for the model that is scored, and for the one the next PNQ stage
        // starts from: its new activation quantizers are calibrated in eval mode.
        if (q.enabled && q.recalibrate_bn > 0 && (validate || stage_end))
          recalibrate_batch_norms(validated, *train_loader, q.recalibrate_bn, device);
        require_finite_weights(*model, ema, epoch, config.hyp, resume_point);
        eval::ValidationResult result, latent;
        if (validate) {
          const auto val_loss = [&](const nn::ModelOutput& output, const data::Batch& batch) {
            const auto images = normalize_images(batch.images, device);
            return loss(output, images, batch.targets.to(device),
                        batch.masks.defined() ? batch.masks.to(device) : batch.masks)
                .items;
          };
          result = eval::validate(validated, *val_loader, nc, val_options, val_loss);
          if (val_latent) {
            latent = eval::validate(*model, *val_loader, nc,
                                    eval::ValidationOptions(val_options).save_json(false));
          }
          require_finite_validation_losses(result.loss_items, item_names, epoch, resume_point);
        } else {
          result.loss_items.assign(item_names.size(), 0.0);
        }
        const auto& box = result.box;
        // Segmentation runs select best.qyolo on boxes and masks together, as YOLOv5-seg.
        const double fitness = box.fitness + (result.mask ? result.mask->fitness : 0.0);
        {
          std::ofstream csv(results_path, std::ios::app);
          csv << epoch;
          for (int64_t k = 0; k < mean_items.size(0); ++k)
            csv << ',' << mean_items[k].item<double>();
          const auto summary_cells = [&](const eval::DetectionSummary& m) {
            csv << ',' << m.mp << ',' << m.mr << ',' << m.map50 << ',' << m.map50_95;
          };
          summary_cells(box.summary);
          if (segment) summary_cells(result.mask ? result.mask->summary : eval::DetectionSummary{});
          for (const double v : result.loss_items) csv << ',' << v;
          for (auto& group : st.optimizer->param_groups()) csv << ',' << group_lr(group);
          if (pnq) csv << ',' << stage.index;
          if (val_latent)
            csv << ',' << latent.box.summary.map50 << ',' << latent.box.summary.map50_95;
          csv << '\n';
        }

        const bool improved = fitness > best_fitness || best_epoch < 0;
        if (improved) {
          best_fitness = fitness;
          best_epoch = epoch;
          epochs_without_improvement = 0;
        } else if (validate) {
          ++epochs_without_improvement;
        }

        Checkpoint ckpt;
        ckpt.model_yaml = model->yaml_text();
        ckpt.config_yaml = config::to_yaml(config);
        ckpt.epoch = epoch;
        ckpt.meta_json = "{\"stage\": " + std::to_string(stage.index) + "}";
        ckpt.model = cpu_copy(module_state(*model));
        if (ema) {
          ckpt.ema = cpu_copy(ema->state());
          ckpt.ema_updates = static_cast<double>(ema->updates());
        }
        ckpt.optimizer = optimizer_state_bytes(*st.optimizer);
        ckpt.extra["last_optimizer_step"] = torch::tensor(st.step->last_optimizer_step());
        ckpt.extra["rng_state"] = at::detail::getDefaultCPUGenerator().get_state();
        ckpt.metrics = {{"fitness", fitness},
                        {"best_fitness", best_fitness},
                        {"best_epoch", best_epoch},
                        {"precision", box.summary.mp},
                        {"recall", box.summary.mr},
                        {"mAP50", box.summary.map50},
                        {"mAP50-95", box.summary.map50_95}};
        save_checkpoint(ckpt, weights_dir / "last.qyolo");
        resume_point = weights_dir / "last.qyolo";
        if (improved) save_checkpoint(ckpt, weights_dir / "best.qyolo");
        if (tc.save_period > 0 && (epoch + 1) % tc.save_period == 0)
          save_checkpoint(ckpt, weights_dir / ("epoch" + std::to_string(epoch) + ".qyolo"));
        if (stage_end) {
          save_checkpoint(ckpt, weights_dir / ("stage" + std::to_string(stage.index) + "_" +
                                               stage.name + ".qyolo"));
        }
        plot_or_warn("results.png",
                     [&] { eval::plot_results(results_path, summary.run_dir / "results.png"); });
        if (val_latent) {
          plot_or_warn("latent_vs_ema.png", [&] {
            eval::plot_latent_vs_ema(results_path, summary.run_dir / "latent_vs_ema.png");
          });
        }
        if (validate && config.eval.plots) {
          plot_or_warn("validation plots",
                       [&] { eval::save_validation_plots(result, data.names, summary.run_dir); });
        }
        // COCO-format predictions of the latest validated model, for pycocotools-exact scoring.
        if (validate && config.eval.save_json)
          write_file_atomic(summary.run_dir / "predictions.json", result.predictions.dump());
        if (validate) {
          spdlog::info(
              "epoch {}: P {:.4f} R {:.4f} mAP50 {:.4f} mAP50-95 {:.4f} fitness {:.4f} "
              "(training {:.1f} s)",
              epoch, box.summary.mp, box.summary.mr, box.summary.map50, box.summary.map50_95,
              fitness, train_seconds);
        }
        stop = epochs_without_improvement >= tc.patience;
        if (stop) {
          spdlog::info("Stopping {} early: no improvement in the last {} epochs (best epoch {})",
                       pnq ? "stage '" + stage.name + "'" : std::string("training"), tc.patience,
                       best_epoch);
        }
      }
      summary.epochs_completed = epoch + 1;
      check_ranks_in_sync(*model, context, epoch, tc.sync_bn);
      // The others wait here while rank 0 validates and writes checkpoints.
      if (decided_by_main(stop, context)) break;
      if (epoch + 1 < total_epochs && interrupt_agreed(interrupt, context))
        return stop_interrupted("after epoch " + std::to_string(epoch));
    }
    summary.best_fitness = best_fitness;
    summary.best_epoch = best_epoch;
  }

  if (main_rank && q.enabled) {
    spdlog::info("Compression at {} px:\n{}", tc.imgsz,
                 quant::compression_report(*model, tc.imgsz).to_string());
  }
  return summary;
}

}  // namespace qyolo::train
