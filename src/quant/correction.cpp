#include "qyolo/quant/correction.h"

#include "qyolo/core/error.h"
#include "qyolo/quant/policy.h"

namespace qyolo::quant {

void enable_correction(const std::vector<nn::ConvSite>& sites) {
  for (const auto& site : sites) {
    if (auto quantizer = conv_quantizer(site)) {
      quantizer->enable_correction();
      quantizer->gamma.set_data(quantizer->gamma.to(site.conv->weight.device()));
      quantizer->beta.set_data(quantizer->beta.to(site.conv->weight.device()));
    }
  }
}

std::vector<torch::Tensor> correction_parameters(const std::vector<nn::ConvSite>& sites) {
  std::vector<torch::Tensor> parameters;
  for (const auto& quantizer : conv_quantizers(sites)) {
    if (!quantizer->has_correction()) continue;
    parameters.push_back(quantizer->gamma);
    parameters.push_back(quantizer->beta);
  }
  return parameters;
}

void fold_correction(const std::vector<nn::ConvSite>& sites) {
  torch::NoGradGuard no_grad;
  for (const auto& site : sites) {
    auto quantizer = conv_quantizer(site);
    if (!quantizer || !quantizer->has_correction()) continue;
    const auto gamma = quantizer->gamma.detach();
    const auto beta = quantizer->beta.detach();
    if (!site.bn.is_empty()) {
      const auto& bn = *site.bn;
      TORCH_CHECK(bn.options.affine() && bn.running_mean.defined(),
                  "folding needs an affine BatchNorm with running statistics at ", site.path);
      const auto sigma = torch::sqrt(bn.running_var + bn.options.eps());
      bn.bias.add_(bn.weight * (beta + (gamma - 1.0) * bn.running_mean) / sigma);
      bn.weight.mul_(gamma);
    } else {
      auto conv = site.conv;
      if (!conv->bias.defined()) {
        throw Error(site.path +
                    ": cannot fold the quantization correction offset into a conv "
                    "without bias or a following BatchNorm");
      }
      conv->bias.mul_(gamma).add_(beta);
      quantizer->scale_output_channels(conv->weight, gamma);
    }
    quantizer->remove_correction();
  }
}

}  // namespace qyolo::quant
