// The whole-model entry points of the quant module (over nn::ModelImpl::conv_sites()).
#include <torch/torch.h>

#include <map>

#include "qyolo/nn/summary.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/compression.h"
#include "qyolo/quant/policy.h"
#include "qyolo/quant/shared_inputs.h"

namespace qyolo::quant {

void apply(nn::ModelImpl& model, const Policy& policy, int stage) {
  const auto sites = model.conv_sites();
  quant::apply(sites, policy, stage);
  share_inputs(sites, convs_reading_one_tensor(model, sites));
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
  const auto summary = nn::summarize(model, imgsz);
  std::map<std::string, std::pair<QuantSpec, QuantSpec>> specs;  // weight, input
  for (const auto& site : model.conv_sites()) {
    if (auto quantizer = conv_quantizer(site)) {
      specs[site.path] = {quantizer->weight_spec(), quantizer->input_spec()};
    }
  }
  std::vector<ConvCost> convs;
  int64_t conv_weight_params = 0;
  for (const auto& profile : summary.convs) {
    ConvCost cost;
    cost.path = profile.path;
    cost.layer = profile.layer;
    cost.weight_params = profile.weight_numel;
    cost.macs = profile.macs;
    if (const auto found = specs.find(profile.path); found != specs.end()) {
      cost.weight_bits = found->second.first.effective_bits();
      cost.act_bits = found->second.second.effective_bits();
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
