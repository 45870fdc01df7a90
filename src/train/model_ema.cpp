#include "qyolo/train/model_ema.h"

#include <cmath>

#include "qyolo/core/error.h"

namespace qyolo::train {

std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& p : module.named_parameters()) state.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers()) state.emplace(b.key(), b.value());
  return state;
}

void load_module_state(const torch::nn::Module& module,
                       const std::map<std::string, torch::Tensor>& state, const std::string& what) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : module_state(module)) {
    const auto it = state.find(name);
    if (it == state.end()) throw Error(what + ": no tensor '" + name + "'");
    // Quantizer buffers can change shape when a PNQ stage re-plans them: follow the source.
    if (!target.sizes().equals(it->second.sizes()))
      target.set_(it->second.detach().clone());
    else
      target.copy_(it->second);
  }
}

ModelEma::ModelEma(std::shared_ptr<torch::nn::Module> shadow, const torch::nn::Module& model,
                   double decay, double tau, int64_t updates)
    : shadow_(std::move(shadow)), decay_(decay), tau_(tau), updates_(updates) {
  TORCH_CHECK(shadow_, "ModelEma: no shadow module");
  load_module_state(*shadow_, module_state(model), "ModelEma");
  shadow_->eval();
  for (auto& p : shadow_->parameters()) p.requires_grad_(false);
}

double ModelEma::decay_at(int64_t updates) const {
  return decay_ * (1 - std::exp(-static_cast<double>(updates) / tau_));
}

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  ++updates_;
  const double d = decay_at(updates_);
  const auto source = module_state(model);
  for (auto& [name, value] : module_state(*shadow_)) {
    if (!value.is_floating_point()) continue;
    const auto it = source.find(name);
    TORCH_CHECK(it != source.end(), "ModelEma: the model has no tensor ", name);
    value.mul_(d).add_(it->second.detach(), 1 - d);
  }
}

std::map<std::string, torch::Tensor> ModelEma::state() const { return module_state(*shadow_); }

void ModelEma::load_state(const std::map<std::string, torch::Tensor>& state, int64_t updates) {
  load_module_state(*shadow_, state, "EMA state");
  updates_ = updates;
}

}  // namespace qyolo::train
