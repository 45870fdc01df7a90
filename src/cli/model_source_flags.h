// The flags of the commands that need a model (eval, detect, export, info): --model, --config,
// --weights, --set, --nc and --latent, read into quant::ModelSourceOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "qyolo/quant/model_source.h"

namespace qyolo::cli {

void add_model_source_options(CLI::App* app, quant::ModelSourceOptions& options);

}  // namespace qyolo::cli
