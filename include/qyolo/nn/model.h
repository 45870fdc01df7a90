// A YOLO detector/segmenter built from an ultralytics/yolov7 model yaml (configs/models/*.yaml).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qyolo/nn/conv2d.h"
#include "qyolo/nn/detect.h"
#include "qyolo/nn/weights.h"

namespace qyolo::nn {

// One row of the yaml's backbone + head list after parse_model's rewriting.
struct LayerInfo {
  int index = 0;
  std::vector<int> from;  // as written (-1 = previous layer); one entry for single inputs
  int repeats = 1;        // n after the depth gain
  int64_t params = 0;
  std::string type;  // yaml module name, e.g. "C3", "nn.Upsample", "IDetect"
  std::string args;  // the constructor arguments, printed like the reference table
  int64_t out_channels = 0;
};

// An nn::Conv2d of a model with the BatchNorm2d that normalises its output (if any).
struct ConvSite {
  std::string path;  // module path, e.g. "model.2.cv1.conv", "model.24.m.0"
  int layer = 0;     // index of the top-level layer that holds it
  Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};  // empty for the head's output convs
};

// A model yaml given as text; `origin` names it in error messages (a file name, "checkpoint").
struct YamlSource {
  std::string text;
  std::string origin;
};

class ModelImpl : public torch::nn::Module {
 public:
  // Builds the model of `yaml` (ch from the yaml, default 3); nc > 0 overrides the yaml's nc.
  // Throws qyolo::UsageError (file, line) for a malformed yaml, qyolo::Error if unreadable.
  explicit ModelImpl(const std::filesystem::path& yaml, int64_t nc = 0);
  explicit ModelImpl(const YamlSource& yaml, int64_t nc = 0);

  // Train mode: raw head maps (+ proto). Eval mode: also the decoded (bs,N,no) predictions.
  ModelOutput forward(const torch::Tensor& images);

  // The output of every layer but the head, in layer order (feature maps, first-divergence
  // checks against reference layer statistics).
  std::vector<torch::Tensor> layer_outputs(const torch::Tensor& images);

  // The head (last layer) and its geometry.
  HeadKind head_kind() const { return head_->kind(); }
  DetectImpl& head() const { return *head_; }
  int64_t nc() const { return head_->nc(); }
  int64_t na() const { return head_->na(); }
  int64_t nl() const { return head_->nl(); }
  int64_t no() const { return head_->no(); }
  int64_t nm() const { return head_->nm(); }                  // mask coefficients (Segment), else 0
  int64_t npr() const { return head_->npr(); }                // proto channels (Segment), else 0
  torch::Tensor stride() const { return head_->stride(); }    // (nl,) float, e.g. [8,16,32]
  torch::Tensor anchors() const { return head_->anchors(); }  // (nl,na,2) grid units
  int64_t max_stride() const;
  int64_t input_channels() const { return input_channels_; }

  // The yaml this model was built from with nc as built: rebuilds the same architecture.
  const std::string& yaml_text() const { return yaml_text_; }
  const std::vector<LayerInfo>& layers() const { return layers_; }

  // Every nn::Conv2d in module order, with its path, layer and following BatchNorm.
  std::vector<ConvSite> conv_sites() const;

  // Parameters and buffers by reference name ("model.0.conv.weight", "model.24.anchors", ...).
  std::map<std::string, torch::Tensor> state() const { return named_state(*this); }

  // Copies tensors by name into this model. Keys whose shapes differ (the class outputs after
  // an nc change) keep the model's values and are reported; nothing is fatal unless strict.
  LoadReport load_weights(const std::map<std::string, torch::Tensor>& weights,
                          const LoadOptions& options = {});
  LoadReport load_weights(const std::filesystem::path& pickled_state_dict,
                          const LoadOptions& options = {});

  // The reference's "N layers" (model_info: len(list(model.modules()))): distinct modules,
  // the model itself included; shared activations count once.
  int64_t module_count() const;

 private:
  void build(const YamlSource& yaml, int64_t nc);
  void probe_strides();
  // Runs all layers but the head and returns the head's inputs; `all` receives every output.
  std::vector<torch::Tensor> run_body(const torch::Tensor& images, std::vector<torch::Tensor>* all);

  struct Layer {
    std::vector<int> inputs;  // absolute layer indices; -1 = the image
    std::function<torch::Tensor(const std::vector<torch::Tensor>&)> run;
  };
  std::vector<Layer> runners_;  // all layers but the head
  std::vector<int> head_inputs_;
  std::vector<bool> keep_;  // outputs that later layers read
  torch::nn::ModuleList model_{nullptr};
  std::shared_ptr<DetectImpl> head_;
  std::vector<LayerInfo> layers_;
  std::string yaml_text_;
  int64_t input_channels_ = 3;

  friend class ModelBuilder;
};

TORCH_MODULE(Model);

// An independent model with the same architecture (rebuilt from yaml_text()), on the same
// device, with copies of all parameters and buffers; requires_grad flags and train/eval mode
// are copied too. ConvHooks are not: re-apply quantization to the copy. (ModelImpl is not
// Cloneable because its layers are built from the yaml, not from fixed members.)
Model copy_model(const ModelImpl& model);

}  // namespace qyolo::nn
