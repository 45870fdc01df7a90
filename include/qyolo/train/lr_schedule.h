// Learning-rate schedule of ultralytics train.py: per-epoch factor lf (linear 1 → lrf, or the
// cosine one-cycle ramp), and the iteration-based warmup over nw = max(round(warmup_epochs·nb),
// 100) iterations that ramps the bias lr down from warmup_bias_lr, the other lrs up from 0, the
// SGD momentum from warmup_momentum, and the gradient-accumulation count up to nbs / batch.
#pragma once

#include <torch/torch.h>

#include "qyolo/core/config.h"

namespace qyolo::train {

struct LrScheduleOptions {
  config::Hyp hyp;
  int epochs = 1;
  bool cos_lr = false;
  int64_t batches_per_epoch = 1;  // nb
  int64_t batch_size = 16;        // images per optimizer step before accumulation
  int nbs = 64;                   // nominal batch size
};

class LrSchedule {
 public:
  explicit LrSchedule(LrScheduleOptions options);

  // lf(epoch): the factor on lr0 after warmup.
  double lr_factor(int epoch) const;
  int64_t warmup_iterations() const { return warmup_iterations_; }
  // Steps accumulated per optimizer step once warmup is over: max(round(nbs / batch), 1).
  int64_t accumulate() const { return accumulate_; }
  // hyp weight_decay scaled by batch·accumulate/nbs.
  double weight_decay() const;

  // Sets every group's lr (and SGD momentum in warmup) for global iteration `ni` in `epoch`,
  // groups ordered as make_optimizer builds them (pg0 = biases). Returns the accumulation count
  // to use at this iteration.
  int64_t apply(torch::optim::Optimizer& optimizer, int64_t ni, int epoch) const;

 private:
  LrScheduleOptions options_;
  int64_t warmup_iterations_;
  int64_t accumulate_;
};

// np.interp of x over the segment (x0,y0)-(x1,y1), constant outside it.
double interp(double x, double x0, double x1, double y0, double y1);

}  // namespace qyolo::train
