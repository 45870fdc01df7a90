// One iteration of the ultralytics training loop: warmup/LR for the iteration, forward, task
// loss, backward, and — once `accumulate` iterations have gathered gradients (nominal batch
// size) — gradient clipping (norm 10), the optimizer step and the EMA update.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>

#include "qyolo/data/collate.h"
#include "qyolo/nn/model.h"
#include "qyolo/train/lr_schedule.h"
#include "qyolo/train/model_ema.h"
#include "qyolo/train/multi_scale.h"
#include "qyolo/train/task_loss.h"

namespace qyolo::train {

struct TrainStepOptions {
  double max_grad_norm = 10.0;
  // Multiplies the task loss before backward. Data-parallel runs pass the world size: gradients
  // are averaged over ranks, and the loss of each rank is a sum over its share of the batch.
  double loss_scale = 1.0;
  // Resize each batch to a random scale (train.multi_scale).
  std::optional<MultiScaleOptions> multi_scale;
  // Extra loss added to the task loss (e.g. the oscillation dampening term); may be empty.
  std::function<torch::Tensor()> extra_loss;
  // Called after every backward(), before clipping (data-parallel gradient averaging).
  std::function<void()> after_backward;
  // Called after every optimizer step, before the EMA update (e.g. oscillation tracking).
  std::function<void()> after_optimizer_step;
};

class TrainStep {
 public:
  TrainStep(nn::Model model, TaskLoss loss, torch::optim::Optimizer& optimizer,
            const LrSchedule& schedule, ModelEma* ema = nullptr, TrainStepOptions options = {});

  // Trains on `batch` at global iteration `ni` of `epoch`; `batch_index` (within the epoch) names
  // the batch in errors. Returns the detached loss items. A NaN/inf loss throws qyolo::Error
  // naming epoch, batch and image files before backward and the optimizer step.
  torch::Tensor run(const data::Batch& batch, int64_t ni, int epoch, int64_t batch_index);

  // Iteration of the last optimizer step (-1 before the first), saved for resuming.
  int64_t last_optimizer_step() const { return last_optimizer_step_; }
  void set_last_optimizer_step(int64_t ni) { last_optimizer_step_ = ni; }
  int64_t optimizer_steps() const { return optimizer_steps_; }

 private:
  nn::Model model_;
  TaskLoss loss_;
  torch::optim::Optimizer& optimizer_;
  const LrSchedule& schedule_;
  ModelEma* ema_;
  TrainStepOptions options_;
  int64_t last_optimizer_step_ = -1;
  int64_t optimizer_steps_ = 0;
};

// (B,3,H,W) uint8 images -> float in [0,1] on `device`.
torch::Tensor normalize_images(const torch::Tensor& images, const torch::Device& device);

}  // namespace qyolo::train
