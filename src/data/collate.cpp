#include "qyolo/data/collate.h"

namespace qyolo::data {

Batch collate(std::vector<Sample> samples, bool pin_memory) {
  TORCH_CHECK(!samples.empty(), "collate: no samples");
  Batch batch;
  batch.mask_format = samples[0].mask_format;
  std::vector<torch::Tensor> images, targets, masks;
  for (size_t i = 0; i < samples.size(); ++i) {
    Sample& s = samples[i];
    TORCH_CHECK(s.image.sizes() == samples[0].image.sizes(), "collate: image ", s.path,
                " has size ", s.image.sizes(), " but the batch has ", samples[0].image.sizes());
    images.push_back(s.image);
    s.labels.select(1, 0).fill_(static_cast<float>(i));
    targets.push_back(s.labels);
    if (s.masks.defined()) masks.push_back(s.masks);
    batch.paths.push_back(std::move(s.path));
    batch.shapes.push_back(s.shapes);
  }
  batch.images = torch::stack(images);
  batch.targets = torch::cat(targets);
  if (!masks.empty()) {
    TORCH_CHECK(masks.size() == samples.size(), "collate: some samples have masks, others not");
    batch.masks = torch::cat(masks);
  }
  if (pin_memory) {
    batch.images = batch.images.pin_memory();
    batch.targets = batch.targets.pin_memory();
    if (batch.masks.defined()) batch.masks = batch.masks.pin_memory();
  }
  return batch;
}

}  // namespace qyolo::data
