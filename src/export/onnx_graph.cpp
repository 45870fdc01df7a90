#include "qyolo/export/onnx_graph.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cstring>

#include "qyolo/core/build_info.h"
#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"

namespace qyolo::exporter {
namespace {

int32_t onnx_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat:
      return onnx::TensorProto::FLOAT;
    case torch::kChar:
      return onnx::TensorProto::INT8;
    case torch::kByte:
      return onnx::TensorProto::UINT8;
    case torch::kInt:
      return onnx::TensorProto::INT32;
    case torch::kLong:
      return onnx::TensorProto::INT64;
    default:
      TORCH_CHECK(false, "ONNX export: unsupported initializer dtype ", t);
  }
}

void set_shape(onnx::ValueInfoProto* info, int32_t elem_type, const std::vector<int64_t>& dims,
               const std::vector<std::string>& dim_names) {
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  auto* shape = tensor->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = shape->add_dim();
    if (dims[i] >= 0) {
      d->set_dim_value(dims[i]);
    } else {
      d->set_dim_param(i < dim_names.size() ? dim_names[i] : "d" + std::to_string(i));
    }
  }
}

}  // namespace

OnnxGraph::OnnxGraph(std::string graph_name, int64_t opset)
    : model_(std::make_unique<onnx::ModelProto>()), opset_(opset) {
  model_->set_ir_version(8);  // readable by onnx 1.12 and every current runtime
  model_->set_producer_name("qyolo");
  model_->set_producer_version(QYOLO_VERSION);
  auto* op = model_->add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_->mutable_graph()->set_name(std::move(graph_name));
}

OnnxGraph::~OnnxGraph() = default;

std::string OnnxGraph::unique(const std::string& prefix) {
  return prefix + "_" + std::to_string(counter_++);
}

std::string OnnxGraph::add_initializer(const std::string& name, const torch::Tensor& value) {
  const torch::Tensor t = value.detach().cpu().contiguous();
  auto* init = model_->mutable_graph()->add_initializer();
  init->set_name(name);
  init->set_data_type(onnx_type(t.scalar_type()));
  for (int64_t d : t.sizes()) init->add_dims(d);
  init->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), t.nbytes()));
  return name;
}

std::vector<std::string> OnnxGraph::add_node(const std::string& op_type, const std::string& name,
                                             const std::vector<std::string>& inputs,
                                             int num_outputs,
                                             const std::vector<Attribute>& attributes,
                                             const std::vector<std::string>& output_names) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const auto& in : inputs) node->add_input(in);
  std::vector<std::string> outs = output_names;
  for (int i = static_cast<int>(outs.size()); i < num_outputs; ++i) {
    outs.push_back(name + "_out" + std::to_string(i));
  }
  for (const auto& o : outs) node->add_output(o);
  for (const auto& a : attributes) {
    auto* attr = node->add_attribute();
    attr->set_name(a.name);
    if (const auto* i = std::get_if<int64_t>(&a.value)) {
      attr->set_type(onnx::AttributeProto::INT);
      attr->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&a.value)) {
      attr->set_type(onnx::AttributeProto::FLOAT);
      attr->set_f(*f);
    } else if (const auto* s = std::get_if<std::string>(&a.value)) {
      attr->set_type(onnx::AttributeProto::STRING);
      attr->set_s(*s);
    } else if (const auto* iv = std::get_if<std::vector<int64_t>>(&a.value)) {
      attr->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : *iv) attr->add_ints(v);
    } else if (const auto* fv = std::get_if<std::vector<float>>(&a.value)) {
      attr->set_type(onnx::AttributeProto::FLOATS);
      for (float v : *fv) attr->add_floats(v);
    }
  }
  return outs;
}

std::string OnnxGraph::add(const std::string& op_type, const std::string& name,
                           const std::vector<std::string>& inputs,
                           const std::vector<Attribute>& attributes) {
  return add_node(op_type, name, inputs, 1, attributes).front();
}

void OnnxGraph::add_input(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<std::string>& dim_names) {
  auto* in = model_->mutable_graph()->add_input();
  in->set_name(name);
  set_shape(in, onnx::TensorProto::FLOAT, dims, dim_names);
}

void OnnxGraph::add_output(const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<std::string>& dim_names, bool is_float) {
  auto* out = model_->mutable_graph()->add_output();
  out->set_name(name);
  set_shape(out, is_float ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT64, dims, dim_names);
}

void OnnxGraph::set_metadata(const std::string& key, const std::string& value) {
  auto* p = model_->add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

void OnnxGraph::set_node_doc(const std::string& node_name, const std::string& doc) {
  for (auto& node : *model_->mutable_graph()->mutable_node()) {
    if (node.name() == node_name) {
      node.set_doc_string(doc);
      return;
    }
  }
  TORCH_CHECK(false, "ONNX export: no node named ", node_name);
}

std::string OnnxGraph::serialize() {
  try {
    onnx::checker::check_model(*model_);
  } catch (const std::exception& e) {
    throw Error(std::string("the exported ONNX graph fails the ONNX checker: ") + e.what());
  }
  std::string bytes;
  TORCH_CHECK(model_->SerializeToString(&bytes), "ONNX export: protobuf serialization failed");
  return bytes;
}

int64_t OnnxGraph::node_count() const { return model_->graph().node_size(); }

void OnnxGraph::save(const std::filesystem::path& path) { write_file_atomic(path, serialize()); }

}  // namespace qyolo::exporter
