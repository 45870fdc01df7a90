#include "qyolo/train/optimizer.h"

#include <set>

#include "qyolo/core/error.h"

namespace qyolo::train {

namespace {

bool is_normalization(const torch::nn::Module& module) {
  return module.name().find("Norm") != std::string::npos;
}

// Quantizer state lives under "<conv>.quant.*" (quant::apply) or in a quant:: module.
bool is_quantizer(const std::string& module_path, const torch::nn::Module& module) {
  const std::string path = "." + module_path + ".";
  return path.find(".quant.") != std::string::npos ||
         module.name().find("qyolo::quant::") != std::string::npos;
}

}  // namespace

ParameterGroups group_parameters(const torch::nn::Module& model) {
  ParameterGroups groups;
  std::set<const void*> seen;  // a shared module lists its parameters once
  for (const auto& item : model.named_modules()) {
    const auto& module = *item.value();
    const auto prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : module.named_parameters(/*recurse=*/false)) {
      const auto& tensor = p.value();
      if (!tensor.requires_grad() || !seen.insert(tensor.unsafeGetTensorImpl()).second) continue;
      const auto name = prefix + p.key();
      if (is_quantizer(item.key(), module) || p.key() == "implicit" ||
          (p.key() == "weight" && is_normalization(module))) {
        groups.no_decay.push_back(tensor);
        groups.no_decay_names.push_back(name);
      } else if (p.key() == "bias") {
        groups.bias.push_back(tensor);
        groups.bias_names.push_back(name);
      } else {
        groups.decay.push_back(tensor);
        groups.decay_names.push_back(name);
      }
    }
  }
  return groups;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const ParameterGroups& groups,
                                                        const std::string& name, double lr,
                                                        double momentum, double weight_decay) {
  using torch::optim::OptimizerParamGroup;
  auto add_groups = [&](auto& optimizer, auto options) {
    auto decayed = std::make_unique<decltype(options)>(options);
    decayed->weight_decay(weight_decay);
    optimizer->add_param_group(OptimizerParamGroup(groups.decay, std::move(decayed)));
    optimizer->add_param_group(
        OptimizerParamGroup(groups.no_decay, std::make_unique<decltype(options)>(options)));
  };
  if (name == "SGD") {
    auto options = torch::optim::SGDOptions(lr).momentum(momentum).nesterov(true);
    auto optimizer = std::make_unique<torch::optim::SGD>(groups.bias, options);
    add_groups(optimizer, options);
    return optimizer;
  }
  if (name == "Adam") {
    auto options = torch::optim::AdamOptions(lr).betas({momentum, 0.999});
    auto optimizer = std::make_unique<torch::optim::Adam>(groups.bias, options);
    add_groups(optimizer, options);
    return optimizer;
  }
  if (name == "AdamW") {
    auto options = torch::optim::AdamWOptions(lr).betas({momentum, 0.999}).weight_decay(0.0);
    auto optimizer = std::make_unique<torch::optim::AdamW>(groups.bias, options);
    add_groups(optimizer, options);
    return optimizer;
  }
  throw UsageError("train.optimizer: unknown optimizer '" + name + "'; allowed: SGD, Adam, AdamW");
}

double group_lr(const torch::optim::OptimizerParamGroup& group) { return group.options().get_lr(); }

void set_group_lr(torch::optim::OptimizerParamGroup& group, double lr) {
  group.options().set_lr(lr);
}

void set_group_momentum(torch::optim::OptimizerParamGroup& group, double momentum) {
  if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&group.options()))
    sgd->momentum(momentum);
}

}  // namespace qyolo::train
