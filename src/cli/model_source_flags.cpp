#include "cli/model_source_flags.h"

namespace qyolo::cli {

void add_model_source_options(CLI::App* app, quant::ModelSourceOptions& o) {
  app->add_option("--model", o.model, "Model yaml (configs/models/*.yaml format)");
  app->add_option("--config", o.config, "Experiment config (model, data, quantization)");
  app->add_option("--weights", o.weights,
                  ".qyolo checkpoint, or converted PyTorch weights (tools/convert_weights.py)");
  app->add_option("--set", o.sets, "Override a config key: section.key=value (repeatable)");
  app->add_option("--nc", o.nc, "Number of classes (default: the config's / data's / yaml's)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app->add_flag("--latent", o.latent,
                "Use a training checkpoint's latent (raw) weights, not its EMA: the model a run "
                "without quant.ema would have reached");
}

}  // namespace qyolo::cli
