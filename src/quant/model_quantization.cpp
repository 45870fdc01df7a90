// The whole-model entry points of the quant module (over nn::ModelImpl::conv_sites()).
#include <torch/torch.h>

#include "qyolo/quant/calibration.h"
#include "qyolo/quant/compression.h"
#include "qyolo/quant/policy.h"

namespace qyolo::quant {
namespace {

// Wraps a conv's hook (or none) and records the conv's output size per image.
class OutputSizeProbe : public nn::ConvHookImpl {
 public:
  explicit OutputSizeProbe(std::shared_ptr<nn::ConvHookImpl> inner) : inner_(std::move(inner)) {}
  torch::Tensor input(const torch::Tensor& x) override { return inner_ ? inner_->input(x) : x; }
  torch::Tensor weight(const torch::Tensor& w) override { return inner_ ? inner_->weight(w) : w; }
  torch::Tensor output(const torch::Tensor& y) override {
    elements_per_image = y.numel() / y.size(0);
    return inner_ ? inner_->output(y) : y;
  }
  const std::shared_ptr<nn::ConvHookImpl>& inner() const { return inner_; }
  int64_t elements_per_image = 0;

 private:
  std::shared_ptr<nn::ConvHookImpl> inner_;
};

}  // namespace

void apply(nn::ModelImpl& model, const Policy& policy, int stage) {
  quant::apply(model.conv_sites(), policy, stage);
}

int calibrate_activations(nn::ModelImpl& model, const std::vector<torch::Tensor>& batches,
                          ActInit method) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const auto device = model.parameters().front().device();
  size_t next = 0;
  const int initialized =
      calibrate_activations(model.conv_sites(), static_cast<int>(batches.size()), method, [&] {
        if (next >= batches.size()) return false;
        model.forward(batches[next++].to(device));
        return true;
      });
  model.train(was_training);
  return initialized;
}

CompressionReport compression_report(nn::ModelImpl& model, int imgsz) {
  auto sites = model.conv_sites();
  std::vector<std::shared_ptr<OutputSizeProbe>> probes;
  for (auto& site : sites) {
    probes.push_back(std::make_shared<OutputSizeProbe>(site.conv->hook()));
    site.conv->set_hook(probes.back());
  }
  {
    const bool was_training = model.is_training();
    model.eval();
    torch::NoGradGuard no_grad;
    const auto like = model.parameters().front();
    model.forward(torch::zeros({1, model.input_channels(), imgsz, imgsz}, like.options()));
    model.train(was_training);
  }
  std::vector<ConvCost> convs;
  int64_t conv_weight_params = 0;
  for (size_t i = 0; i < sites.size(); ++i) {
    auto conv = sites[i].conv;
    conv->set_hook(probes[i]->inner());
    const auto quantizer = conv_quantizer(sites[i]);
    ConvCost cost;
    cost.path = sites[i].path;
    cost.layer = sites[i].layer;
    cost.weight_params = conv->weight.numel();
    // Each output element costs in_channels/groups · k · k MACs, the size of one filter.
    cost.macs = probes[i]->elements_per_image * conv->weight[0].numel();
    if (quantizer) {
      cost.weight_bits = quantizer->weight_spec().effective_bits();
      cost.act_bits = quantizer->input_spec().effective_bits();
    }
    conv_weight_params += cost.weight_params;
    convs.push_back(cost);
  }
  int64_t all_params = 0;
  for (const auto& item : model.named_parameters()) {
    // Quantizer steps, scales and offsets are not part of the deployed model's weights.
    if (item.key().find(".quant.") == std::string::npos) all_params += item.value().numel();
  }
  return compression_report(std::move(convs), all_params - conv_weight_params, imgsz);
}

}  // namespace qyolo::quant
