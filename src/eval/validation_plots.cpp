#include "qyolo/eval/validation_plots.h"

#include "qyolo/data/plot_batch.h"
#include "qyolo/eval/plots.h"

namespace qyolo::eval {

data::Batch prediction_batch(const ValidationResult& result) {
  TORCH_CHECK(result.first_batch.has_value(), "prediction_batch: no validation batch kept");
  data::Batch batch = *result.first_batch;
  const double h = static_cast<double>(batch.images.size(2));
  const double w = static_cast<double>(batch.images.size(3));
  std::vector<torch::Tensor> rows;
  for (size_t i = 0; i < result.first_predictions.size(); ++i) {
    const auto p = result.first_predictions[i].to(torch::kCPU, torch::kFloat);
    if (p.size(0) == 0) continue;
    const auto x1 = p.select(1, 0), y1 = p.select(1, 1), x2 = p.select(1, 2), y2 = p.select(1, 3);
    rows.push_back(torch::stack(
        {torch::full_like(x1, static_cast<double>(i)), p.select(1, 5), (x1 + x2) / (2 * w),
         (y1 + y2) / (2 * h), (x2 - x1) / w, (y2 - y1) / h, p.select(1, 4)},
        1));
  }
  batch.targets = rows.empty() ? torch::zeros({0, 7}) : torch::cat(rows);
  batch.masks = torch::Tensor();
  batch.mask_format = data::MaskFormat::kNone;
  return batch;
}

void save_validation_plots(const ValidationResult& result, const std::vector<std::string>& names,
                           const std::filesystem::path& dir) {
  if (result.box.per_class) {
    plot_ap_curves(*result.box.per_class, names, dir);
    plot_confusion_matrix(result.confusion, names, dir / "confusion_matrix.png");
  }
  if (!result.first_batch) return;
  data::save_batch_plot(*result.first_batch, names, dir / "val_batch0_labels.jpg");
  data::save_batch_plot(prediction_batch(result), names, dir / "val_batch0_pred.jpg");
}

}  // namespace qyolo::eval
