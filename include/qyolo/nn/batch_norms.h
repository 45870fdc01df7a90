// The BatchNorm2d layers of a module tree, for code that adjusts their statistics or momentum.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace qyolo::nn {

// Every BatchNorm2d below module (not module itself), in registration order.
std::vector<torch::nn::BatchNorm2dImpl*> batch_norms(torch::nn::Module& module);

}  // namespace qyolo::nn
