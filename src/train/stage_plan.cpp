#include "qyolo/train/stage_plan.h"

#include <sstream>

#include "qyolo/core/error.h"

namespace qyolo::train {

std::vector<TrainStage> plan_stages(const config::ExperimentConfig& config) {
  const auto& q = config.quant;
  if (!q.enabled || q.stages.empty()) return {TrainStage{-1, "", 0, config.train.epochs}};
  std::vector<TrainStage> stages;
  int epoch = 0;
  std::ostringstream sum;
  for (size_t k = 0; k < q.stages.size(); ++k) {
    const auto& s = q.stages[k];
    if (s.epochs < 1) {
      throw UsageError(SourceLocation{config.source.string()},
                       "quant.stages[" + std::to_string(k) + "].epochs = " +
                           std::to_string(s.epochs) + " ('" + s.name + "'); allowed: 1 or more");
    }
    stages.push_back({static_cast<int>(k), s.name, epoch, s.epochs});
    epoch += s.epochs;
    sum << (k ? " + " : "") << s.epochs;
  }
  if (epoch != config.train.epochs) {
    throw UsageError(SourceLocation{config.source.string()},
                     "train.epochs = " + std::to_string(config.train.epochs) +
                         " but the PNQ stages in quant.stages last " + sum.str() + " = " +
                         std::to_string(epoch) +
                         " epochs; set train.epochs to their sum or change the stages' epochs "
                         "(--set quant.stages=[] quantizes everything at once for train.epochs)");
  }
  return stages;
}

size_t stage_position(const std::vector<TrainStage>& stages, int epoch) {
  TORCH_CHECK(!stages.empty(), "stage_position: no stages");
  for (size_t k = 0; k < stages.size(); ++k)
    if (epoch < stages[k].end_epoch()) return k;
  return stages.size() - 1;
}

}  // namespace qyolo::train
