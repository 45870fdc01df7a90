#include "qyolo/eval/class_names.h"

#include <spdlog/spdlog.h>

#include "qyolo/data/data_yaml.h"

namespace qyolo::eval {

std::vector<std::string> class_names(const std::string& data,
                                     const std::optional<config::ExperimentConfig>& experiment) {
  if (!data.empty()) return data::load_data_yaml(config::resolve_path(data)).names;
  if (!experiment || experiment->data.empty()) return {};
  try {
    return data::load_data_yaml(
               config::resolve_path(experiment->data, experiment->source.parent_path()))
        .names;
  } catch (const std::exception& e) {
    spdlog::warn("class names unavailable ({}); labelling with class indices", e.what());
    return {};
  }
}

}  // namespace qyolo::eval
