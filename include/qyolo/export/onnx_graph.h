// A small builder for ONNX graphs: initializers from tensors, nodes with attributes, graph
// inputs/outputs, metadata; checked with onnx::checker before it is written.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace onnx {
class ModelProto;
}

namespace qyolo::exporter {

using AttributeValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;

struct Attribute {
  std::string name;
  AttributeValue value;
};

class OnnxGraph {
 public:
  OnnxGraph(std::string graph_name, int64_t opset);
  ~OnnxGraph();
  OnnxGraph(const OnnxGraph&) = delete;
  OnnxGraph& operator=(const OnnxGraph&) = delete;

  // Adds a constant (float32, int8, uint8, int32 or int64 tensor); returns its name.
  std::string add_initializer(const std::string& name, const torch::Tensor& value);
  // Adds a node; outputs are named "<name>_out<i>" unless given. Returns the output names.
  std::vector<std::string> add_node(const std::string& op_type, const std::string& name,
                                    const std::vector<std::string>& inputs, int num_outputs = 1,
                                    const std::vector<Attribute>& attributes = {},
                                    const std::vector<std::string>& output_names = {});
  // Convenience for single-output nodes.
  std::string add(const std::string& op_type, const std::string& name,
                  const std::vector<std::string>& inputs,
                  const std::vector<Attribute>& attributes = {});

  // A float32 graph input/output; a dimension < 0 is symbolic and named by `dim_names`.
  void add_input(const std::string& name, const std::vector<int64_t>& dims,
                 const std::vector<std::string>& dim_names = {});
  void add_output(const std::string& name, const std::vector<int64_t>& dims,
                  const std::vector<std::string>& dim_names = {}, bool is_float = true);

  void set_metadata(const std::string& key, const std::string& value);
  // Metadata attached to a node (e.g. the trained bit width of a Q/DQ pair).
  void set_node_doc(const std::string& node_name, const std::string& doc);

  // Unique name with the given prefix, for intermediate nodes.
  std::string unique(const std::string& prefix);

  // Runs the ONNX checker (throws qyolo::Error with its message) and writes atomically.
  void save(const std::filesystem::path& path);
  // The serialized, checked model.
  std::string serialize();

  int64_t opset() const { return opset_; }
  int64_t node_count() const;

 private:
  std::unique_ptr<onnx::ModelProto> model_;
  int64_t opset_;
  int64_t counter_ = 0;
};

}  // namespace qyolo::exporter
