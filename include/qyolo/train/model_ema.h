// Exponential moving average of a model (ultralytics ModelEMA): every floating-point parameter
// and buffer — BatchNorm statistics and, in QAT, the quantizers' steps and offsets — follows
// v ← d·v + (1−d)·model, with d = decay·(1 − exp(−updates/tau)) ramping up from 0.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

namespace qyolo::train {

class ModelEma {
 public:
  // `shadow` is a module with the same state names as `model` (built by the same factory:
  // architecture and quantizers); it receives a copy of `model`'s state, is put in eval mode and
  // takes no gradients.
  ModelEma(std::shared_ptr<torch::nn::Module> shadow, const torch::nn::Module& model,
           double decay = 0.9999, double tau = 2000, int64_t updates = 0);

  void update(const torch::nn::Module& model);
  double decay_at(int64_t updates) const;

  torch::nn::Module& module() const { return *shadow_; }
  std::shared_ptr<torch::nn::Module> shared() const { return shadow_; }
  int64_t updates() const { return updates_; }

  // Every parameter and buffer by name, plus nothing else: `updates` is saved separately.
  std::map<std::string, torch::Tensor> state() const;
  // Copies `state` into the shadow (names must match) and sets the update count.
  void load_state(const std::map<std::string, torch::Tensor>& state, int64_t updates);

 private:
  std::shared_ptr<torch::nn::Module> shadow_;
  double decay_;
  double tau_;
  int64_t updates_;
};

// Parameters and buffers of a module by their dotted names.
std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& module);

// Copies `state` into the module's parameters and buffers of the same names; each must be in
// `state` (else qyolo::Error naming `what`). A tensor whose shape differs is replaced by a copy
// (quantizer state a PNQ stage re-planned).
void load_module_state(const torch::nn::Module& module,
                       const std::map<std::string, torch::Tensor>& state, const std::string& what);

}  // namespace qyolo::train
