#include "qyolo/nn/summary.h"

#include <iomanip>
#include <sstream>

namespace qyolo::nn {
namespace {

// Records the input and output shapes of one conv, delegating to the hook it replaces.
class ShapeRecorderImpl : public ConvHookImpl {
 public:
  ShapeRecorderImpl(std::shared_ptr<ConvHookImpl> inner, int* clock)
      : inner_(std::move(inner)), clock_(clock) {}
  torch::Tensor input(const torch::Tensor& x) override {
    if (order < 0) order = (*clock_)++;
    in_sizes = x.sizes().vec();
    return inner_ ? inner_->input(x) : x;
  }
  torch::Tensor weight(const torch::Tensor& w) override { return inner_ ? inner_->weight(w) : w; }
  torch::Tensor output(const torch::Tensor& y) override {
    out_sizes = y.sizes().vec();
    return inner_ ? inner_->output(y) : y;
  }
  std::vector<int64_t> in_sizes, out_sizes;
  int order = -1;  // position in execution order

 private:
  std::shared_ptr<ConvHookImpl> inner_;
  int* clock_;
};

std::string from_text(const std::vector<int>& from) {
  if (from.size() == 1) return std::to_string(from[0]);
  std::string text = "[";
  for (size_t i = 0; i < from.size(); ++i) text += (i ? ", " : "") + std::to_string(from[i]);
  return text + "]";
}

}  // namespace

ModelSummary summarize(ModelImpl& model, int64_t imgsz) {
  ModelSummary summary;
  summary.imgsz = imgsz;
  summary.layers = model.layers();
  summary.layer_macs.assign(summary.layers.size(), 0);
  for (const auto& p : model.parameters()) {
    summary.params += p.numel();
    if (p.requires_grad()) summary.gradients += p.numel();
  }
  summary.module_count = model.module_count();

  auto sites = model.conv_sites();
  std::vector<std::shared_ptr<ConvHookImpl>> previous;
  std::vector<std::shared_ptr<ShapeRecorderImpl>> recorders;
  int clock = 0;
  for (auto& site : sites) {
    previous.push_back(site.conv->hook());
    recorders.push_back(std::make_shared<ShapeRecorderImpl>(site.conv->hook(), &clock));
    site.conv->set_hook(recorders.back());
  }
  const bool was_training = model.is_training();
  model.eval();
  try {
    torch::NoGradGuard no_grad;
    const auto device = model.parameters().front().device();
    model.forward(torch::zeros({1, model.input_channels(), imgsz, imgsz}, device));
  } catch (...) {
    for (size_t i = 0; i < sites.size(); ++i) sites[i].conv->set_hook(previous[i]);
    model.train(was_training);
    throw;
  }
  model.train(was_training);

  for (size_t i = 0; i < sites.size(); ++i) {
    auto& conv = *sites[i].conv;
    conv.set_hook(previous[i]);
    const auto& o = conv.options();
    ConvProfile profile;
    profile.path = sites[i].path;
    profile.layer = sites[i].layer;
    profile.in_c = o.in_channels();
    profile.out_c = o.out_channels();
    profile.k = o.kernel_size();
    profile.s = o.stride();
    profile.p = o.padding();
    profile.groups = o.groups();
    const auto& in = recorders[i]->in_sizes;
    const auto& out = recorders[i]->out_sizes;
    TORCH_CHECK(in.size() == 4 && out.size() == 4, "conv ", profile.path, " did not run");
    profile.in_h = in[2];
    profile.in_w = in[3];
    profile.out_h = out[2];
    profile.out_w = out[3];
    profile.macs = profile.out_h * profile.out_w * profile.out_c * (profile.in_c / profile.groups) *
                   profile.k * profile.k;
    profile.weight_numel = conv.weight.numel();
    profile.bias_numel = conv.bias.defined() ? conv.bias.numel() : 0;
    summary.conv_macs += profile.macs;
    summary.layer_macs.at(profile.layer) += profile.macs;
    summary.convs.push_back(profile);
  }
  std::vector<int> order;
  for (const auto& recorder : recorders) order.push_back(recorder->order);
  std::vector<ConvProfile> by_execution(summary.convs.size());
  for (size_t i = 0; i < order.size(); ++i) by_execution.at(order[i]) = summary.convs[i];
  summary.convs = std::move(by_execution);
  return summary;
}

nlohmann::json ModelSummary::to_json() const {
  nlohmann::json table = nlohmann::json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    table.push_back({{"index", l.index},
                     {"from", l.from},
                     {"n", l.repeats},
                     {"params", l.params},
                     {"module", l.type},
                     {"arguments", l.args},
                     {"conv_macs", i < layer_macs.size() ? layer_macs[i] : 0}});
  }
  return {{"imgsz", imgsz},         {"params", params},       {"gradients", gradients},
          {"layers", module_count}, {"conv_macs", conv_macs}, {"gflops", gflops()},
          {"table", table}};
}

std::string ModelSummary::to_string() const {
  std::ostringstream out;
  out << std::setw(3) << "" << std::setw(18) << "from" << std::setw(3) << "n" << std::setw(10)
      << "params" << std::setw(10) << "GFLOPs"
      << "  " << std::left << std::setw(12) << "module"
      << "arguments" << std::right << "\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    out << std::setw(3) << l.index << std::setw(18) << from_text(l.from) << std::setw(3)
        << l.repeats << std::setw(10) << l.params << std::setw(10) << std::fixed
        << std::setprecision(2) << 2.0 * static_cast<double>(layer_macs[i]) / 1e9 << "  "
        << std::left << std::setw(12) << l.type << l.args << std::right << "\n";
  }
  out << "Model summary: " << module_count << " layers, " << params << " parameters, " << gradients
      << " gradients, " << std::fixed << std::setprecision(2) << gflops() << " GFLOPs at " << imgsz
      << "x" << imgsz << " (2 x conv MACs; bias, BN and activations not counted)\n";
  return out.str();
}

}  // namespace qyolo::nn
