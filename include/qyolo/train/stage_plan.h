// How the epochs of a run are laid out over the stages of progressive network quantization
// (PNQ, MPQ-YOLO): each stage trains for its own epochs with its own warmup and LR schedule,
// starting from the previous stage's EMA weights.
#pragma once

#include <string>
#include <vector>

#include "qyolo/core/config.h"

namespace qyolo::train {

struct TrainStage {
  int index = -1;    // index into quant.stages; -1 when the run has none (FP, or all at once)
  std::string name;  // quant.stages[index].name, empty without stages
  int first_epoch = 0;
  int epochs = 0;

  int end_epoch() const { return first_epoch + epochs; }
};

// One stage covering train.epochs when quantization is off or quant.stages is empty; otherwise
// the quant.stages in order. Throws UsageError when the stages' epochs do not add up to
// train.epochs (the run length must be stated once, unambiguously).
std::vector<TrainStage> plan_stages(const config::ExperimentConfig& config);

// Position in `stages` of the stage that trains `epoch` (the last one for epochs past the end).
size_t stage_position(const std::vector<TrainStage>& stages, int epoch);

}  // namespace qyolo::train
