#include "qyolo/train/train_step.h"

#include <sstream>

#include "qyolo/core/error.h"

namespace qyolo::train {

torch::Tensor normalize_images(const torch::Tensor& images, const torch::Device& device) {
  return images.to(device, torch::kFloat32) / 255.0;
}

TrainStep::TrainStep(nn::Model model, TaskLoss loss, torch::optim::Optimizer& optimizer,
                     const LrSchedule& schedule, ModelEma* ema, TrainStepOptions options)
    : model_(std::move(model)),
      loss_(std::move(loss)),
      optimizer_(optimizer),
      schedule_(schedule),
      ema_(ema),
      options_(std::move(options)) {
  optimizer_.zero_grad();
}

torch::Tensor TrainStep::run(const data::Batch& batch, int64_t ni, int epoch, int64_t batch_index) {
  const int64_t accumulate = schedule_.apply(optimizer_, ni, epoch);
  const auto device = model_->parameters().front().device();
  auto images = normalize_images(batch.images, device);
  if (options_.multi_scale) images = multi_scale(images, ni, *options_.multi_scale);
  const auto targets = batch.targets.to(device);
  const auto masks = batch.masks.defined() ? batch.masks.to(device) : batch.masks;

  model_->train();
  const auto output = model_->forward(images);
  auto result = loss_(output, images, targets, masks);
  auto total = result.loss.sum() * options_.loss_scale;
  if (options_.extra_loss) total = total + options_.extra_loss();

  if (!torch::isfinite(total).item<bool>()) {
    std::ostringstream message;
    message << "loss is " << total.item<double>() << " at epoch " << epoch << ", batch "
            << batch_index << " (items " << result.items.cpu() << "); images:";
    for (const auto& path : batch.paths) message << ' ' << path;
    throw Error(message.str());
  }
  total.backward();
  if (options_.after_backward) options_.after_backward();

  if (ni - last_optimizer_step_ >= accumulate) {
    torch::nn::utils::clip_grad_norm_(model_->parameters(), options_.max_grad_norm);
    optimizer_.step();
    optimizer_.zero_grad();
    ++optimizer_steps_;
    if (options_.after_optimizer_step) options_.after_optimizer_step();
    if (ema_) ema_->update(*model_);
    last_optimizer_step_ = ni;
  }
  return result.items;
}

}  // namespace qyolo::train
