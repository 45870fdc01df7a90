#include "qyolo/train/batch_norm_recalibration.h"

#include <algorithm>
#include <vector>

#include "qyolo/core/progress.h"
#include "qyolo/nn/batch_norms.h"
#include "qyolo/train/train_step.h"

namespace qyolo::train {

int recalibrate_batch_norms(nn::ModelImpl& model, int max_batches,
                            const std::function<torch::Tensor()>& next_images) {
  torch::NoGradGuard no_grad;
  struct Saved {
    torch::nn::BatchNorm2dImpl* bn;
    c10::optional<double> momentum;
    bool training;
  };
  std::vector<Saved> saved;
  for (auto* bn : nn::batch_norms(model)) {
    saved.push_back({bn, bn->options.momentum(), bn->is_training()});
    bn->reset_running_stats();
    bn->options.momentum(c10::nullopt);  // a cumulative average: every batch weighs the same
    bn->train();
  }
  int used = 0;
  for (; used < max_batches; ++used) {
    const auto images = next_images();
    if (!images.defined()) break;
    model.forward(images);
  }
  for (const auto& s : saved) {
    s.bn->options.momentum(s.momentum);
    s.bn->train(s.training);
  }
  return used;
}

int recalibrate_batch_norms(nn::ModelImpl& model, data::Loader& loader, int max_batches,
                            const torch::Device& device) {
  loader.start_epoch(0);
  ProgressBar bar(std::min<int64_t>(max_batches, loader.size()), "BN recalibration");
  const int used = recalibrate_batch_norms(model, max_batches, [&] {
    auto batch = loader.next();
    if (!batch) return torch::Tensor();
    bar.update();
    return normalize_images(batch->images, device);
  });
  bar.close();
  return used;
}

}  // namespace qyolo::train
