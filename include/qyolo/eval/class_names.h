// The names `qyolo detect` labels its detections with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qyolo/core/config.h"

namespace qyolo::eval {

// The names of the data yaml `data` when given; else those of the data yaml of `experiment` (the
// config the model comes from) when it can be read, with a warning when it cannot; else none, and
// detections are labelled with class indices.
std::vector<std::string> class_names(const std::string& data,
                                     const std::optional<config::ExperimentConfig>& experiment);

}  // namespace qyolo::eval
