// Activation functions as the model yamls name them ("nn.SiLU()", "nn.LeakyReLU(0.1)", ...).
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

namespace qyolo::nn {

// A type-erased activation module. Copies share the module, which is how ultralytics' Conv
// shares one default activation instance between all convs of a model.
using Activation = torch::nn::AnyModule;

// Parses a yaml activation expression; std::nullopt when `expression` is not one of
//   nn.SiLU(), nn.ReLU(), nn.ReLU6(), nn.Sigmoid(), nn.Identity(),
//   nn.LeakyReLU() / nn.LeakyReLU(<slope>)
std::optional<Activation> parse_activation(const std::string& expression);

// The accepted expressions, for error messages.
const char* activation_help();

Activation make_silu();
Activation make_identity();

}  // namespace qyolo::nn
