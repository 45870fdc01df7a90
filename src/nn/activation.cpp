#include "qyolo/nn/activation.h"

#include <regex>

namespace qyolo::nn {

Activation make_silu() { return Activation(torch::nn::SiLU()); }
Activation make_identity() { return Activation(torch::nn::Identity()); }

std::optional<Activation> parse_activation(const std::string& expression) {
  static const std::regex pattern(R"(^\s*(?:nn\.)?(\w+)\(\s*([-+0-9.eE]*)\s*\)\s*$)");
  std::smatch match;
  if (!std::regex_match(expression, match, pattern)) return std::nullopt;
  const std::string name = match[1];
  const std::string argument = match[2];
  if (name == "LeakyReLU") {
    // torch.nn.LeakyReLU's default slope is 0.01.
    double slope = 0.01;
    if (!argument.empty()) {
      size_t used = 0;
      try {
        slope = std::stod(argument, &used);
      } catch (const std::exception&) {
        return std::nullopt;
      }
      if (used != argument.size()) return std::nullopt;
    }
    return Activation(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(slope)));
  }
  if (!argument.empty()) return std::nullopt;
  if (name == "SiLU") return make_silu();
  if (name == "ReLU") return Activation(torch::nn::ReLU());
  if (name == "ReLU6") return Activation(torch::nn::ReLU6());
  if (name == "Sigmoid") return Activation(torch::nn::Sigmoid());
  if (name == "Identity") return make_identity();
  return std::nullopt;
}

const char* activation_help() {
  return "nn.SiLU(), nn.ReLU(), nn.ReLU6(), nn.Sigmoid(), nn.Identity(), "
         "nn.LeakyReLU(<negative slope>)";
}

}  // namespace qyolo::nn
