#include "qyolo/quant/oscillation_damping.h"

#include "qyolo/quant/lsq_quantizer.h"
#include "qyolo/quant/oscillation.h"
#include "qyolo/quant/policy.h"

namespace qyolo::quant {
namespace {

// The LSQ weight quantizer and tracker of a conv, when it has both.
struct Tracked {
  std::shared_ptr<LsqQuantizerImpl> quantizer;
  std::shared_ptr<OscillationTrackerImpl> tracker;
};

Tracked tracked(const nn::ConvSite& site) {
  auto hook = conv_quantizer(site);
  if (!hook) return {};
  return {std::dynamic_pointer_cast<LsqQuantizerImpl>(hook->weight_quantizer()), hook->tracker()};
}

}  // namespace

void track_oscillations(const std::vector<nn::ConvSite>& sites) {
  for (const auto& site : sites) {
    const auto t = tracked(site);
    if (t.quantizer && t.tracker && t.quantizer->initialized()) {
      t.tracker->update(t.quantizer->integers(site.conv->weight));
    }
  }
}

std::vector<LayerOscillation> oscillation_report(const std::vector<nn::ConvSite>& sites,
                                                 double threshold) {
  std::vector<LayerOscillation> report;
  for (const auto& site : sites) {
    const auto t = tracked(site);
    if (!t.tracker) continue;
    report.push_back({site.path, site.layer, t.tracker->oscillating_fraction(threshold),
                      t.tracker->frozen.sum().item<int64_t>(), t.tracker->frozen.numel()});
  }
  return report;
}

torch::Tensor dampening_loss(const std::vector<nn::ConvSite>& sites) {
  torch::Tensor total;
  for (const auto& site : sites) {
    const auto t = tracked(site);
    if (!t.quantizer || !t.quantizer->initialized()) continue;
    const auto loss = dampening_loss(site.conv->weight, *t.quantizer);
    total = total.defined() ? total + loss : loss;
  }
  if (!total.defined() && !sites.empty()) return torch::zeros({}, sites[0].conv->weight.options());
  return total;
}

int64_t freeze_oscillating(const std::vector<nn::ConvSite>& sites, double threshold) {
  int64_t frozen = 0;
  for (const auto& site : sites) {
    const auto t = tracked(site);
    if (t.tracker) frozen += t.tracker->freeze_above(threshold);
  }
  return frozen;
}

}  // namespace qyolo::quant
