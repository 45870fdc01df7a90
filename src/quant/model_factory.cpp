#include "qyolo/quant/model_factory.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "qyolo/core/error.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/policy.h"

namespace qyolo::quant {

namespace {

// Checkpoints written before convs that read one tensor shared their input quantizer hold a
// quantizer per reader; the first reader's now serves all of them.
void drop_shared_input_steps(const std::vector<nn::ConvSite>& sites,
                             std::map<std::string, torch::Tensor>& weights,
                             const std::string& origin) {
  std::vector<std::string> dropped;
  for (const auto& site : sites) {
    const auto q = conv_quantizer(site);
    if (!q || q->input_source().empty()) continue;
    const auto prefix = site.path + ".quant.input_quantizer.";
    for (auto it = weights.lower_bound(prefix);
         it != weights.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      dropped.push_back(it->first);
      it = weights.erase(it);
    }
  }
  if (!dropped.empty()) {
    spdlog::warn(
        "{}: written by an older qyolo; {} input quantizer tensors of convs that now share "
        "the input quantizer of the conv reading the same tensor are ignored (e.g. {})",
        origin, dropped.size(), dropped.front());
  }
}

}  // namespace

int final_stage(const config::QuantConfig& q) { return static_cast<int>(q.stages.size()) - 1; }

nn::Model build_model(const config::ExperimentConfig& cfg, int64_t nc, int stage) {
  if (cfg.model.empty()) {
    throw UsageError(SourceLocation{cfg.source.string()},
                     "no model: set 'model' to a model yaml (e.g. models/yolov5n.yaml)");
  }
  nn::Model model(config::resolve_path(cfg.model, cfg.source.parent_path()), nc);
  if (cfg.quant.enabled) quant::apply(*model, Policy(cfg.quant), stage);
  return model;
}

RestoredModel restore_model(const Checkpoint& ckpt, const std::string& origin, bool use_ema) {
  RestoredModel r;
  r.config = ckpt.config_yaml.empty()
                 ? config::default_experiment()
                 : config::parse_experiment(ckpt.config_yaml, origin + " (config)");
  r.stage = final_stage(r.config.quant);
  if (!ckpt.meta_json.empty()) {
    const auto meta = nlohmann::json::parse(ckpt.meta_json, nullptr, false);
    if (meta.is_object() && meta.contains("stage")) r.stage = meta["stage"].get<int>();
  }
  if (ckpt.model_yaml.empty()) throw Error(origin + " holds no model description");
  r.model = nn::Model(nn::YamlSource{ckpt.model_yaml, origin + " (model yaml)"});
  auto weights = use_ema && !ckpt.ema.empty() ? ckpt.ema : ckpt.model;
  if (r.config.quant.enabled) {
    const auto sites = r.model->conv_sites();
    quant::apply(*r.model, Policy(r.config.quant), r.stage);
    drop_shared_input_steps(sites, weights, origin);
    // Folding a correction into a BN-less conv makes its weight steps per channel.
    for (const auto& site : sites) {
      const auto q = conv_quantizer(site);
      const auto it = weights.find(site.path + ".quant.weight_quantizer.step");
      if (!q || it == weights.end() || it->second.numel() <= 1) continue;
      QuantSpec spec = q->weight_spec();
      if (spec.granularity == Granularity::kPerChannel) continue;
      spec.granularity = Granularity::kPerChannel;
      q->set_weight_spec(spec);
    }
  }
  r.report = r.model->load_weights(weights, nn::LoadOptions().strict(true));
  return r;
}

}  // namespace qyolo::quant
