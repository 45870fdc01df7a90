// The pictures ultralytics writes after validation, from one ValidationResult.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/eval/validator.h"

namespace qyolo::eval {

// Writes into `dir`: PR/F1/P/R curves and confusion_matrix.png (when there were labels),
// val_batch0_labels.jpg (the first validation batch with its labels) and val_batch0_pred.jpg
// (the same images with the predictions above confidence 0.25, labelled "name conf").
void save_validation_plots(const ValidationResult& result, const std::vector<std::string>& names,
                           const std::filesystem::path& dir);

// The first batch of `result` with its predictions as (n, 7) targets: image index, class,
// normalised cx, cy, w, h and confidence (plot_batch's prediction layout); masks dropped.
data::Batch prediction_batch(const ValidationResult& result);

}  // namespace qyolo::eval
