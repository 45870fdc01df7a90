// A four-layer conv/BN/SiLU stack ending in a Detect-like output conv (bias, no BN), laid out with
// the module paths and ConvSites of a real model, for quant tests that need no model yaml.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "qyolo/core/config.h"
#include "qyolo/nn/conv2d.h"
#include "qyolo/nn/model.h"

namespace qyolo::quant::testing {

// LSQ weights and LSQ+ activations at 4 bits, the policy's other defaults.
inline config::QuantConfig w4a4() {
  config::QuantConfig c;
  c.enabled = true;
  c.weight_bits = 4;
  c.act_bits = 4;
  c.weight_kind = "lsq";
  c.act_kind = "lsq_plus";
  return c;
}

class TinyDetectorImpl : public torch::nn::Module {
 public:
  TinyDetectorImpl() {
    const std::vector<std::pair<int64_t, int64_t>> channels = {{3, 8}, {8, 16}, {16, 16}};
    for (size_t i = 0; i < channels.size(); ++i) {
      auto conv = nn::Conv2d(nn::Conv2dOptions(channels[i].first, channels[i].second, 3)
                                 .stride(i < 2 ? 2 : 1)
                                 .padding(1));
      auto bn = torch::nn::BatchNorm2d(
          torch::nn::BatchNorm2dOptions(channels[i].second).eps(1e-3).momentum(0.03));
      const auto prefix = "model_" + std::to_string(i);
      register_module(prefix + "_conv", conv);
      register_module(prefix + "_bn", bn);
      sites_.push_back({"model." + std::to_string(i) + ".conv", static_cast<int>(i), conv, bn});
    }
    auto head = nn::Conv2d(nn::Conv2dOptions(16, 6, 1).bias(true));
    register_module("model_3_m_0", head);
    sites_.push_back({"model.3.m.0", 3, head, torch::nn::BatchNorm2d{nullptr}});
    // Non-trivial BN statistics and affine parameters.
    torch::NoGradGuard no_grad;
    for (auto& site : sites_) {
      if (site.bn.is_empty()) continue;
      site.bn->running_mean.uniform_(-0.2, 0.2);
      site.bn->running_var.uniform_(0.5, 2.0);
      site.bn->weight.uniform_(0.5, 1.5);
      site.bn->bias.uniform_(-0.3, 0.3);
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    for (size_t i = 0; i + 1 < sites_.size(); ++i) {
      x = torch::silu(sites_[i].bn->forward(sites_[i].conv->forward(x)));
    }
    return sites_.back().conv->forward(x);
  }

  const std::vector<nn::ConvSite>& sites() const { return sites_; }

 private:
  std::vector<nn::ConvSite> sites_;
};

TORCH_MODULE(TinyDetector);

}  // namespace qyolo::quant::testing
