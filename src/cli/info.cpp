// qyolo info: the model table (layers, parameters, GFLOPs) and, for quantized configs or
// checkpoints, the bits of every conv and the size / OPs compression against FP32.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_source_flags.h"
#include "qyolo/nn/summary.h"
#include "qyolo/quant/compression.h"
#include "qyolo/quant/policy.h"

namespace qyolo::cli {
namespace {

struct InfoOptions {
  quant::ModelSourceOptions source;
  int64_t img = 640;
  bool json = false;
};

int run_info(const InfoOptions& o) {
  quant::LoadedModel loaded = quant::load_model_source(o.source);
  auto& model = *loaded.model;
  const nn::ModelSummary summary = nn::summarize(model, o.img);
  const auto sites = model.conv_sites();
  const bool quantized = !quant::conv_quantizers(sites).empty();
  if (o.json) {
    nlohmann::json j = summary.to_json();
    j["source"] = loaded.description;
    if (quantized)
      j["compression"] = quant::compression_report(model, static_cast<int>(o.img)).to_json();
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << loaded.description << "\n\n" << summary.to_string() << "\n";
  if (quantized) {
    std::cout << "\nPrecision per convolution:\n"
              << quant::to_string(quant::describe(sites)) << "\n"
              << quant::compression_report(model, static_cast<int>(o.img)).to_string() << "\n";
  }
  return 0;
}

}  // namespace

Command add_info(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* sub = app.add_subcommand(
      "info", "Model table (layers, params, GFLOPs); bits per conv and compression when quantized");
  add_model_source_options(sub, o->source);
  sub->add_option("--img", o->img, "Square image size for MACs / GFLOPs")
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  sub->add_flag("--json", o->json, "Print machine-readable JSON instead of tables");
  return {sub, [o] { return run_info(*o); }};
}

}  // namespace qyolo::cli
