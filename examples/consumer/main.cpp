// Loads an experiment config shipped with qyolo and builds its model, as a program linking an
// installed qyolo would: the configs are found next to the installed libraries.
#include <iostream>

#include "qyolo/core/config.h"
#include "qyolo/core/error.h"
#include "qyolo/quant/model_factory.h"

int main() {
  try {
    const auto config = qyolo::config::load_experiment("fashiondet/yolov5n_fp.yaml");
    const qyolo::nn::Model model = qyolo::quant::build_model(config, 10, -1);
    int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();
    std::cout << "configs: " << qyolo::config::configs_dir().string() << "\n"
              << "model: " << config.model << ", " << model->nc() << " classes, " << parameters
              << " parameters\n";
  } catch (const qyolo::Error& e) {
    std::cerr << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  }
  return 0;
}
