#include "qyolo/quant/model_source.h"

#include <spdlog/spdlog.h>

#include "qyolo/core/error.h"
#include "qyolo/core/finite_check.h"
#include "qyolo/core/input_file.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/quant/model_factory.h"

namespace qyolo::quant {
namespace {

// NaN or Inf weights (a run that diverged) would evaluate to garbage and export a broken model.
void require_finite_weights(const nn::ModelImpl& model, const std::string& origin) {
  const auto check = check_finite(model.state());
  if (!check.ok()) {
    throw UsageError(origin + ": " + check.to_string() +
                     "; the model is unusable (did its training diverge? an earlier checkpoint "
                     "may still be good)");
  }
}

}  // namespace

int64_t experiment_nc(const config::ExperimentConfig& cfg) {
  if (cfg.nc > 0) return cfg.nc;
  if (cfg.data.empty()) return 0;
  const auto path = config::resolve_path(cfg.data, cfg.source.parent_path());
  if (!std::filesystem::exists(path)) return 0;
  return data::load_data_yaml(path).nc;
}

LoadedModel load_model_source(const ModelSourceOptions& o) {
  LoadedModel out;
  if (!o.weights.empty()) {
    require_input_file(o.weights, "--weights");
    if (o.model.empty() && o.config.empty() && !is_checkpoint_file(o.weights)) {
      throw UsageError("--weights " + o.weights +
                       ": not a qyolo checkpoint (no QYOLOCKP header); converted PyTorch "
                       "weights (tools/convert_weights.py) need --model or --config as well");
    }
  }
  if (!o.weights.empty() && is_checkpoint_file(o.weights)) {
    Checkpoint ckpt = load_checkpoint(o.weights);
    if (o.latent && ckpt.ema.empty()) {
      throw UsageError("--latent: " + o.weights + " holds no EMA, its weights are the latent ones");
    }
    auto restored = restore_model(ckpt, o.weights, !o.latent);
    out.model = restored.model;
    out.config = restored.config;
    const char* which = ckpt.ema.empty() ? "" : o.latent ? ", latent weights" : ", EMA weights";
    out.description = o.weights + " (" + ckpt.kind + " checkpoint, epoch " +
                      std::to_string(ckpt.epoch) + which + ")";
    out.checkpoint = std::move(ckpt);
    require_finite_weights(*out.model, o.weights);
    return out;
  }
  if (!o.config.empty()) {
    out.config = config::load_experiment(o.config, o.sets);
    const int64_t nc = o.nc > 0 ? o.nc : experiment_nc(*out.config);
    out.model = build_model(*out.config, nc, final_stage(out.config->quant));
    out.description = out.config->source.string();
  } else if (!o.model.empty()) {
    out.model = nn::Model(config::resolve_path(o.model), o.nc);
    out.description = o.model;
  } else {
    throw UsageError(
        "give a model: --model <yaml>, --config <experiment yaml> or --weights <.qyolo>");
  }
  if (!o.weights.empty()) {
    const auto report = out.model->load_weights(std::filesystem::path(o.weights));
    spdlog::info("{}: {}", o.weights, report.to_string());
    out.description += " + " + o.weights;
    require_finite_weights(*out.model, o.weights);
  }
  return out;
}

}  // namespace qyolo::quant
