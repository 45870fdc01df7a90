// The optimizer of ultralytics smart_optimizer: three parameter groups so that only conv/linear
// weights decay — pg0 biases (warmup starts them at warmup_bias_lr), pg1 weights with decay,
// pg2 weights without decay (normalisation weights, yolov7 implicit knowledge, and the
// quantizers' steps, offsets and correction affines, whose scale decay would shrink).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace qyolo::train {

struct ParameterGroups {
  std::vector<torch::Tensor> bias;      // pg0
  std::vector<torch::Tensor> decay;     // pg1
  std::vector<torch::Tensor> no_decay;  // pg2
  std::vector<std::string> bias_names, decay_names, no_decay_names;
};

// Trainable parameters of `model` (requires_grad only), grouped as above.
ParameterGroups group_parameters(const torch::nn::Module& model);

// "SGD" (nesterov, momentum), "Adam" or "AdamW" (betas (momentum, 0.999)); weight_decay applies to
// pg1 only. Throws UsageError for another name.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const ParameterGroups& groups,
                                                        const std::string& name, double lr,
                                                        double momentum, double weight_decay);

// Reads/writes the learning rate of a group.
double group_lr(const torch::optim::OptimizerParamGroup& group);
void set_group_lr(torch::optim::OptimizerParamGroup& group, double lr);
// Sets the SGD momentum of a group; Adam/AdamW keep beta1, as in the reference (their groups
// have no 'momentum' key for the warmup to change).
void set_group_momentum(torch::optim::OptimizerParamGroup& group, double momentum);

}  // namespace qyolo::train
