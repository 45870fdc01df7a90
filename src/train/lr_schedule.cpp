#include "qyolo/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "qyolo/train/optimizer.h"

namespace qyolo::train {

namespace {
// Python's round(): halves go to the even neighbour (the default floating-point rounding mode).
int64_t round_half_even(double x) { return static_cast<int64_t>(std::nearbyint(x)); }
}  // namespace

double interp(double x, double x0, double x1, double y0, double y1) {
  if (x <= x0) return y0;
  if (x >= x1) return y1;
  return y0 + (x - x0) * (y1 - y0) / (x1 - x0);
}

LrSchedule::LrSchedule(LrScheduleOptions options)
    : options_(std::move(options)),
      warmup_iterations_(std::max<int64_t>(
          round_half_even(options_.hyp.warmup_epochs * options_.batches_per_epoch), 100)),
      accumulate_(std::max<int64_t>(
          round_half_even(static_cast<double>(options_.nbs) / options_.batch_size), 1)) {}

double LrSchedule::lr_factor(int epoch) const {
  const double lrf = options_.hyp.lrf;
  const double epochs = options_.epochs;
  if (options_.cos_lr) return (1 - std::cos(epoch * M_PI / epochs)) / 2 * (lrf - 1) + 1;
  return (1 - epoch / epochs) * (1.0 - lrf) + lrf;
}

double LrSchedule::weight_decay() const {
  return options_.hyp.weight_decay * options_.batch_size * accumulate_ / options_.nbs;
}

int64_t LrSchedule::apply(torch::optim::Optimizer& optimizer, int64_t ni, int epoch) const {
  const double target_factor = options_.hyp.lr0 * lr_factor(epoch);
  auto& groups = optimizer.param_groups();
  if (ni > warmup_iterations_) {
    for (auto& group : groups) set_group_lr(group, target_factor);
    return accumulate_;
  }
  const double x1 = static_cast<double>(warmup_iterations_);
  for (size_t j = 0; j < groups.size(); ++j) {
    const double start = j == 0 ? options_.hyp.warmup_bias_lr : 0.0;
    set_group_lr(groups[j], interp(ni, 0, x1, start, target_factor));
    set_group_momentum(groups[j],
                       interp(ni, 0, x1, options_.hyp.warmup_momentum, options_.hyp.momentum));
  }
  const double full = static_cast<double>(options_.nbs) / options_.batch_size;
  return std::max<int64_t>(1, round_half_even(interp(ni, 0, x1, 1.0, full)));
}

}  // namespace qyolo::train
