#include "qyolo/quant/quantizer.h"

#include "qyolo/core/error.h"

namespace qyolo::quant {
namespace {
// Values kept per observed tensor: enough for an MSE search, small enough for many layers.
constexpr int64_t kSamplesPerTensor = 1 << 15;
}  // namespace

ActInit parse_act_init(const std::string& name, const std::string& key) {
  if (name == "minmax") return ActInit::kMinMax;
  if (name == "mse") return ActInit::kMse;
  throw UsageError(key + ": unknown activation initialisation '" + name +
                   "'; allowed: minmax, mse");
}

void ActivationObserver::observe(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto flat = x.detach().flatten().to(torch::kFloat);
  if (flat.numel() == 0) return;
  const auto [lo, hi] = torch::aminmax(flat);
  min_ = std::min(min_, lo.item<double>());
  max_ = std::max(max_, hi.item<double>());
  const int64_t stride = std::max<int64_t>(1, flat.numel() / kSamplesPerTensor);
  samples_.push_back(flat.slice(0, 0, flat.numel(), stride).cpu().clone());
}

torch::Tensor ActivationObserver::samples() const {
  TORCH_CHECK(!samples_.empty(), "no activations were observed");
  return torch::cat(samples_);
}

QuantizerImpl::QuantizerImpl() {
  initialized_ = register_buffer("initialized", torch::zeros({}, torch::kBool));
}

void QuantizerImpl::finish_observing(ActInit method) {
  if (observer_ && !observer_->empty() && !initialized()) {
    init_from(*observer_, method);
    mark_initialized();
  }
  observer_.reset();
}

bool QuantizerImpl::observe_or_init(const torch::Tensor& x, ActInit fallback) {
  if (observer_) {
    observer_->observe(x);
    return true;
  }
  if (!initialized()) {
    ActivationObserver single;
    single.observe(x);
    init_from(single, fallback);
    mark_initialized();
  }
  return false;
}

void QuantizerImpl::mark_initialized() {
  torch::NoGradGuard no_grad;
  initialized_.fill_(true);
}

}  // namespace qyolo::quant
