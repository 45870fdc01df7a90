// Runs an ONNX file with onnxruntime (npm onnxruntime-node, installed by scripts/setup.sh into
// tools/ort) so exported graphs are checked by an engine that shares no code with qyolo.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "support/test_support.h"

namespace qyolo::test {

inline bool ort_available() {
  return std::filesystem::exists(source_dir() / "tools/ort/node_modules/onnxruntime-node");
}

inline std::vector<torch::Tensor> run_onnxruntime(const std::filesystem::path& model,
                                                  const torch::Tensor& input,
                                                  const std::filesystem::path& work_dir) {
  const torch::Tensor x = input.to(torch::kFloat).contiguous().cpu();
  const auto in_path = work_dir / "ort_input.bin";
  std::ofstream(in_path, std::ios::binary)
      .write(static_cast<const char*>(x.data_ptr()), static_cast<std::streamsize>(x.nbytes()));
  std::string dims;
  for (int64_t d : x.sizes()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
  const auto prefix = work_dir / "ort_out";
  const auto result =
      run_command("node " + (source_dir() / "tools/ort/run.js").string() + " " + model.string() +
                  " " + in_path.string() + " " + dims + " " + prefix.string());
  if (result.exit_code != 0) throw std::runtime_error("onnxruntime failed:\n" + result.output);
  const auto meta = nlohmann::json::parse(std::ifstream(prefix.string() + ".json"));
  std::vector<torch::Tensor> outputs;
  for (size_t i = 0; i < meta.size(); ++i) {
    std::vector<int64_t> shape = meta[i]["dims"].get<std::vector<int64_t>>();
    auto t = torch::empty(shape, torch::kFloat);
    std::ifstream(prefix.string() + "." + std::to_string(i) + ".bin", std::ios::binary)
        .read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    outputs.push_back(t);
  }
  return outputs;
}

}  // namespace qyolo::test
