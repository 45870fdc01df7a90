#include "qyolo/nn/weights.h"

#include <sstream>

#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"

namespace qyolo::nn {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "(";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << ")";
  return out.str();
}

template <typename T, typename Name>
void append_names(std::ostringstream& out, const std::vector<T>& items, size_t max_names,
                  Name name) {
  out << " (";
  for (size_t i = 0; i < items.size() && i < max_names; ++i) {
    out << (i ? ", " : "") << name(items[i]);
  }
  if (items.size() > max_names) out << ", ...";
  out << ")";
}

}  // namespace

std::string LoadReport::to_string(size_t max_names) const {
  std::ostringstream out;
  const auto total = loaded.size() + missing.size() + mismatched.size();
  out << "loaded " << loaded.size() << "/" << total << " tensors";
  const auto identity = [](const std::string& s) { return s; };
  if (!missing.empty()) {
    out << "; missing " << missing.size();
    append_names(out, missing, max_names, identity);
  }
  if (!unexpected.empty()) {
    out << "; unexpected " << unexpected.size();
    append_names(out, unexpected, max_names, identity);
  }
  if (!mismatched.empty()) {
    out << "; shape mismatch " << mismatched.size();
    append_names(out, mismatched, max_names, [](const ShapeMismatch& m) {
      return m.name + " model " + shape_string(m.expected) + " file " + shape_string(m.given);
    });
  }
  return out.str();
}

std::map<std::string, torch::Tensor> named_state(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& item : module.named_parameters(/*recurse=*/true))
    state[item.key()] = item.value();
  for (const auto& item : module.named_buffers(/*recurse=*/true)) state[item.key()] = item.value();
  return state;
}

LoadReport load_state(torch::nn::Module& module,
                      const std::map<std::string, torch::Tensor>& weights,
                      const LoadOptions& options) {
  LoadReport report;
  auto state = named_state(module);
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, target] : state) {
      const auto found = weights.find(name);
      if (found == weights.end()) {
        report.missing.push_back(name);
        continue;
      }
      const auto& source = found->second;
      if (!source.defined() || source.sizes() != target.sizes()) {
        report.mismatched.push_back(
            {name, target.sizes().vec(),
             source.defined() ? source.sizes().vec() : std::vector<int64_t>{}});
        continue;
      }
      target.copy_(source);
      report.loaded.push_back(name);
    }
  }
  for (const auto& item : weights) {
    if (!state.count(item.first)) report.unexpected.push_back(item.first);
  }
  if (options.strict() && !report.complete()) {
    throw Error("the weights do not match the model exactly: " + report.to_string());
  }
  return report;
}

std::map<std::string, torch::Tensor> read_state_dict(const std::filesystem::path& path) {
  return read_weights_file(path).tensors;
}

WeightsFile read_weights_file(const std::filesystem::path& path) {
  const std::string file = read_file(path, "the weights file");
  const std::vector<char> bytes(file.begin(), file.end());
  const std::string expected =
      "expected torch.save of a plain dict {name: tensor, ...} (tools/convert_weights.py) or of "
      "a dict with such a 'state_dict' entry";
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw Error(SourceLocation{path.string()}, "cannot unpickle the weights (" +
                                                   std::string(e.what_without_backtrace()) + "); " +
                                                   expected);
  }
  if (!value.isGenericDict()) {
    throw Error(SourceLocation{path.string()}, "found a " + value.tagKind() + "; " + expected);
  }
  auto dict = value.toGenericDict();
  if (dict.contains("state_dict") && dict.at("state_dict").isGenericDict()) {
    dict = dict.at("state_dict").toGenericDict();
  }
  WeightsFile weights;
  for (const auto& entry : dict) {
    if (!entry.key().isString()) continue;
    const auto& key = entry.key().toStringRef();
    const auto& value = entry.value();
    if (value.isTensor()) {
      weights.tensors[key] = value.toTensor();
    } else if (key == "nc" && value.isInt()) {
      weights.nc = value.toInt();
    } else if (key == "yaml" && value.isString()) {
      weights.yaml = value.toStringRef();
    } else if (key == "names" && value.isString()) {
      std::istringstream lines(value.toStringRef());
      for (std::string name; std::getline(lines, name);) weights.names.push_back(name);
    }
  }
  if (weights.tensors.empty()) {
    throw Error(SourceLocation{path.string()}, "no named tensors; " + expected);
  }
  return weights;
}

}  // namespace qyolo::nn
