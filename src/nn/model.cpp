#include "qyolo/nn/model.h"

#include <unordered_set>

#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"
#include "qyolo/nn/batch_norms.h"

namespace qyolo::nn {

ModelImpl::ModelImpl(const std::filesystem::path& yaml, int64_t nc)
    : ModelImpl(YamlSource{read_file(yaml, "the model yaml"), yaml.string()}, nc) {}

ModelImpl::ModelImpl(const YamlSource& yaml, int64_t nc) {
  build(yaml, nc);
  try {
    probe_strides();
  } catch (const c10::Error& e) {
    // Rows that parse but do not fit together, e.g. a Concat of maps of different sizes.
    throw UsageError(SourceLocation{yaml.origin},
                     "the layers do not fit together when a 256x256 image runs through them (" +
                         std::string(e.what_without_backtrace()) +
                         "). Check the 'from' indices of Concat and head rows: they must join "
                         "maps of the same resolution.");
  }
}

void ModelImpl::probe_strides() {
  // Like the reference: one training-mode forward of zeros at 256 px gives each level's
  // stride. BatchNorm still has torch's default momentum (0.1) at that point upstream, so the
  // running statistics end up exactly as in a freshly built reference model.
  const auto norms = batch_norms(*this);
  for (auto* bn : norms) bn->options.momentum(0.1);
  const bool was_training = is_training();
  train(true);
  const int64_t size = 256;
  ModelOutput out;
  {
    torch::NoGradGuard no_grad;
    out = forward(torch::zeros({1, input_channels_, size, size}));
  }
  train(was_training);
  for (auto* bn : norms) bn->options.momentum(0.03);
  std::vector<float> strides;
  for (const auto& level : out.raw) strides.push_back(static_cast<float>(size) / level.size(2));
  head_->set_strides(torch::tensor(strides));
}

ModelOutput ModelImpl::forward(const torch::Tensor& images) {
  return head_->forward(run_body(images, nullptr));
}

std::vector<torch::Tensor> ModelImpl::layer_outputs(const torch::Tensor& images) {
  std::vector<torch::Tensor> all;
  run_body(images, &all);
  return all;
}

std::vector<torch::Tensor> ModelImpl::run_body(const torch::Tensor& images,
                                               std::vector<torch::Tensor>* all) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == input_channels_, "Model expects (bs,",
              input_channels_, ",h,w) images, got ", images.sizes());
  std::vector<torch::Tensor> outputs(runners_.size());
  torch::Tensor x = images;
  const auto gather = [&](const std::vector<int>& indices, int current) {
    std::vector<torch::Tensor> inputs;
    inputs.reserve(indices.size());
    for (int j : indices) inputs.push_back(j < 0 ? images : j == current - 1 ? x : outputs[j]);
    return inputs;
  };
  for (size_t i = 0; i < runners_.size(); ++i) {
    x = runners_[i].run(gather(runners_[i].inputs, static_cast<int>(i)));
    if (keep_[i] || all) outputs[i] = x;
  }
  auto head_inputs = gather(head_inputs_, static_cast<int>(runners_.size()));
  if (all) *all = std::move(outputs);
  return head_inputs;
}

int64_t ModelImpl::max_stride() const { return static_cast<int64_t>(stride().max().item<float>()); }

std::vector<ConvSite> ModelImpl::conv_sites() const {
  std::vector<ConvSite> sites;
  const auto named = named_modules("", /*include_self=*/false);
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& path = named[i].key();
    auto conv = std::dynamic_pointer_cast<Conv2dImpl>(named[i].value());
    if (!conv) continue;
    ConvSite site;
    site.path = path;
    site.layer = std::stoi(path.substr(6, path.find('.', 6) - 6));  // "model.<i>...."
    site.conv = Conv2d(conv);
    // The BatchNorm that normalises this conv is its sibling "bn" (Conv) or the next entry
    // of the same Sequential ("rbr_dense.0" -> "rbr_dense.1").
    const auto parent = path.substr(0, path.rfind('.'));
    const auto leaf = path.substr(path.rfind('.') + 1);
    const std::string bn_path = leaf == "conv" ? parent + ".bn" : leaf == "0" ? parent + ".1" : "";
    for (size_t j = i + 1; !bn_path.empty() && j < named.size(); ++j) {
      if (named[j].key() != bn_path) continue;
      if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(named[j].value())) {
        site.bn = torch::nn::BatchNorm2d(bn);
      }
      break;
    }
    sites.push_back(std::move(site));
  }
  return sites;
}

LoadReport ModelImpl::load_weights(const std::map<std::string, torch::Tensor>& weights,
                                   const LoadOptions& options) {
  return load_state(*this, weights, options);
}

LoadReport ModelImpl::load_weights(const std::filesystem::path& pickled_state_dict,
                                   const LoadOptions& options) {
  return load_state(*this, read_state_dict(pickled_state_dict), options);
}

int64_t ModelImpl::module_count() const {
  std::unordered_set<const torch::nn::Module*> distinct{this};
  for (const auto& module : modules(/*include_self=*/false)) distinct.insert(module.get());
  return static_cast<int64_t>(distinct.size());
}

Model copy_model(const ModelImpl& model) {
  Model copy(YamlSource{model.yaml_text(), "model copy"});
  const auto parameters = model.parameters();
  if (!parameters.empty()) copy->to(parameters.front().device());
  copy->load_weights(model.state(), LoadOptions().strict(true));
  auto source = model.named_parameters();
  for (auto& item : copy->named_parameters()) {
    item.value().set_requires_grad(source[item.key()].requires_grad());
  }
  copy->train(model.is_training());
  return copy;
}

}  // namespace qyolo::nn
