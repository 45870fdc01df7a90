// Loading tensors into a module by reference name, with a report instead of a crash.
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

// What load_weights did. Keys with a different shape (e.g. the class outputs after an nc
// change, as ultralytics' transfer learning skips them) keep the model's values.
struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;     // in the model, not in the weights
  std::vector<std::string> unexpected;  // in the weights, not in the model
  std::vector<ShapeMismatch> mismatched;

  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // "loaded 349/349 tensors; missing 2 (a, b); ..." naming at most `max_names` keys per list.
  std::string to_string(size_t max_names = 5) const;
};

struct LoadOptions {
  // Throw qyolo::Error (with the report) unless every key matches in name and shape.
  TORCH_ARG(bool, strict) = false;
};

// Copies `weights` into the parameters and buffers of `module` by name, under NoGradGuard with
// Tensor::copy_ (never aliasing; dtype and device converted to the model's).
LoadReport load_state(torch::nn::Module& module,
                      const std::map<std::string, torch::Tensor>& weights,
                      const LoadOptions& options = {});

// Parameters and buffers of `module` by name (views of the module's own tensors).
std::map<std::string, torch::Tensor> named_state(const torch::nn::Module& module);

// A converted checkpoint (tools/convert_weights.py): the tensors and the plain metadata.
struct WeightsFile {
  std::map<std::string, torch::Tensor> tensors;
  int64_t nc = 0;                  // 0 when the file does not say
  std::vector<std::string> names;  // class names, empty when unknown
  std::string yaml;                // the model yaml of the source model, empty when unknown
};

// Like read_state_dict, plus the metadata entries "nc", "names" (newline-separated) and "yaml".
WeightsFile read_weights_file(const std::filesystem::path& path);

// Reads a pickled dict written by torch.save: either {name: tensor, ...} (tools/convert_weights.py;
// non-tensor entries are metadata and skipped) or a dict whose "state_dict" entry is such a dict
// (the test fixtures). Throws qyolo::Error naming the file when it is neither.
std::map<std::string, torch::Tensor> read_state_dict(const std::filesystem::path& path);

}  // namespace qyolo::nn
