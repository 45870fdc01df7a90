#include "qyolo/quant/shared_inputs.h"

#include <algorithm>
#include <map>

#include "qyolo/quant/policy.h"

namespace qyolo::quant {
namespace {

// Remembers the tensor its conv read. Holding it keeps every probed tensor alive, so two convs
// see the same TensorImpl address only if they read the same tensor.
class InputRecorderImpl : public nn::ConvHookImpl {
 public:
  torch::Tensor input(const torch::Tensor& x) override {
    seen = x;
    return x;
  }
  torch::Tensor weight(const torch::Tensor& w) override { return w; }

  torch::Tensor seen;
};

// Puts the recorders in place for its lifetime, then the original hooks back (also on throw).
class RecordersInstalled {
 public:
  explicit RecordersInstalled(const std::vector<nn::ConvSite>& sites) : sites_(sites) {
    for (auto& site : sites_) {
      hooks_.push_back(site.conv->hook());
      recorders_.push_back(std::make_shared<InputRecorderImpl>());
      site.conv->set_hook(recorders_.back());
    }
  }
  ~RecordersInstalled() {
    for (size_t i = 0; i < sites_.size(); ++i) sites_[i].conv->set_hook(hooks_[i]);
  }
  RecordersInstalled(const RecordersInstalled&) = delete;
  RecordersInstalled& operator=(const RecordersInstalled&) = delete;

  const torch::Tensor& seen(size_t i) const { return recorders_[i]->seen; }

 private:
  std::vector<nn::ConvSite> sites_;  // copies: their holders give non-const access
  std::vector<std::shared_ptr<nn::ConvHookImpl>> hooks_;
  std::vector<std::shared_ptr<InputRecorderImpl>> recorders_;
};

}  // namespace

std::vector<std::vector<size_t>> convs_reading_one_tensor(nn::ModelImpl& model,
                                                          const std::vector<nn::ConvSite>& sites) {
  if (sites.empty()) return {};
  RecordersInstalled recorders(sites);
  const bool was_training = model.is_training();
  model.eval();
  {
    torch::NoGradGuard no_grad;
    const auto& first = sites.front().conv;
    // 64 px: a whole number of cells at every stride up to P6's 64.
    model.forward(
        torch::zeros({1, first->options().in_channels(), 64, 64}, first->weight.options()));
  }
  model.train(was_training);

  std::map<const c10::TensorImpl*, std::vector<size_t>> readers;
  for (size_t i = 0; i < sites.size(); ++i) {
    if (recorders.seen(i).defined()) readers[recorders.seen(i).unsafeGetTensorImpl()].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  for (auto& [tensor, convs] : readers) {
    if (convs.size() > 1) groups.push_back(std::move(convs));
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

void share_inputs(const std::vector<nn::ConvSite>& sites,
                  const std::vector<std::vector<size_t>>& groups) {
  for (const auto& group : groups) {
    std::vector<size_t> sources;  // the first reader of each distinct input spec
    for (const size_t i : group) {
      const auto reader = conv_quantizer(sites.at(i));
      if (!reader || !reader->input_spec().quantized()) continue;
      const auto source = std::find_if(sources.begin(), sources.end(), [&](size_t s) {
        return same_quantizer(conv_quantizer(sites[s])->input_spec(), reader->input_spec());
      });
      if (source == sources.end()) {
        sources.push_back(i);
      } else {
        reader->share_input_of(*conv_quantizer(sites[*source]), sites[*source].path);
      }
    }
  }
}

}  // namespace qyolo::quant
