// Loading parameters and buffers by reference name, with a report instead of a crash.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qyolo::nn {

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected;  // the model's shape
  std::vector<int64_t> given;     // the file's shape
};

struct LoadOptions {
  // Keys containing any of these substrings are not loaded (e.g. "anchor" for transfer
  // learning with the yaml's anchors); they are listed in LoadReport::excluded.
  std::vector<std::string> exclude;
};

struct LoadReport {
  int64_t loaded = 0;                     // tensors copied
  std::vector<std::string> missing;       // in the model, not in the weights
  std::vector<std::string> unexpected;    // in the weights, not in the model
  std::vector<ShapeMismatch> mismatched;  // same name, different shape: left as initialised
  std::vector<std::string> excluded;

  // True when every model tensor was loaded from a matching tensor.
  bool complete() const { return missing.empty() && mismatched.empty() && excluded.empty(); }
  // One line of counts, then the first `limit` names of each problem.
  std::string to_string(size_t limit = 5) const;
};

// Copies `weights` into `module`'s parameters and buffers by name (copy_ under NoGradGuard,
// converting dtype, never aliasing).
LoadReport load_state(torch::nn::Module& module,
                      const std::map<std::string, torch::Tensor>& weights,
                      const LoadOptions& options = {});

// Reads a state dict pickled by torch.save: a dict of name -> tensor (tools/convert_weights.py;
// non-tensor metadata entries are ignored), or a dict whose "state_dict" entry is one (the
// fixtures). Throws qyolo::Error when the file is missing or not such a dict.
std::map<std::string, torch::Tensor> read_state_dict(const std::filesystem::path& path);

// All parameters and buffers of `module` by dotted name.
std::map<std::string, torch::Tensor> named_state(const torch::nn::Module& module);

}  // namespace qyolo::nn
