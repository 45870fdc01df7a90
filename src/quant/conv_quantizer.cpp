#include "qyolo/quant/conv_quantizer.h"

#include "qyolo/quant/binary_quantizer.h"
#include "qyolo/quant/fake_quantize.h"
#include "qyolo/quant/lsq_quantizer.h"

namespace qyolo::quant {
namespace {

QuantSpec spec_of(const std::shared_ptr<QuantizerImpl>& quantizer) {
  return quantizer ? quantizer->spec() : QuantSpec{};
}

}  // namespace

std::shared_ptr<QuantizerImpl> make_weight_quantizer(const QuantSpec& spec,
                                                     torch::IntArrayRef weight_shape) {
  switch (spec.kind) {
    case QuantKind::kFp:
      return nullptr;
    case QuantKind::kBinary:
      return std::make_shared<BinaryWeightQuantizerImpl>(weight_shape[0]);
    default:
      return std::make_shared<LsqQuantizerImpl>(
          LsqQuantizerOptions(spec.bits, TensorRole::kWeight)
              .is_signed(spec.is_signed)
              .channels(spec.granularity == Granularity::kPerChannel ? weight_shape[0] : 1)
              .learn_offset(spec.kind == QuantKind::kLsqPlus));
  }
}

std::shared_ptr<QuantizerImpl> make_input_quantizer(const QuantSpec& spec, int64_t in_channels) {
  switch (spec.kind) {
    case QuantKind::kFp:
      return nullptr;
    case QuantKind::kBinary:
      return std::make_shared<BinaryActivationQuantizerImpl>(in_channels);
    default:
      break;
  }
  auto quantizer =
      std::make_shared<LsqQuantizerImpl>(LsqQuantizerOptions(spec.bits, TensorRole::kActivation)
                                             .is_signed(spec.is_signed)
                                             .learn_offset(spec.kind == QuantKind::kLsqPlus)
                                             .learn_step(spec.learned));
  if (!spec.learned) {
    TORCH_CHECK(!spec.is_signed, "a fixed input grid is the unsigned image grid");
    quantizer->set_grid(torch::full({1}, 1.0 / static_cast<double>(quantizer->range().qmax)));
  }
  return quantizer;
}

ConvQuantizerImpl::ConvQuantizerImpl(const ConvQuantizerOptions& options) : options_(options) {
  set_weight_spec(options.weight());
  set_input_spec(options.input());
}

QuantSpec ConvQuantizerImpl::weight_spec() const { return spec_of(weight_quantizer_); }
QuantSpec ConvQuantizerImpl::input_spec() const { return spec_of(input_quantizer_); }

void ConvQuantizerImpl::set_weight_spec(const QuantSpec& spec) {
  if (weight_quantizer_ && same_quantizer(weight_quantizer_->spec(), spec)) return;
  if (weight_quantizer_) unregister_module("weight_quantizer");
  if (tracker_) unregister_module("oscillation");
  tracker_.reset();
  weight_quantizer_ = make_weight_quantizer(spec, options_.weight_shape());
  if (!weight_quantizer_) return;
  register_module("weight_quantizer", weight_quantizer_);
  const bool integer = spec.kind == QuantKind::kLsq || spec.kind == QuantKind::kLsqPlus;
  if (integer && options_.track_oscillations()) {
    tracker_ = register_module(
        "oscillation", std::make_shared<OscillationTrackerImpl>(options_.weight_shape(),
                                                                options_.oscillation_momentum()));
  }
}

void ConvQuantizerImpl::set_input_spec(const QuantSpec& spec) {
  if (!input_source_.empty()) {
    // The shared quantizer belongs to its source conv; quant::apply shares it again when the
    // two convs still agree.
    input_source_.clear();
    input_quantizer_.reset();
  } else if (input_quantizer_ && same_quantizer(input_quantizer_->spec(), spec)) {
    return;
  }
  input_memo_.reset();
  if (input_quantizer_) unregister_module("input_quantizer");
  input_quantizer_ = make_input_quantizer(spec, options_.in_channels());
  if (input_quantizer_) register_module("input_quantizer", input_quantizer_);
}

void ConvQuantizerImpl::share_input_of(ConvQuantizerImpl& source, const std::string& source_path) {
  TORCH_CHECK(&source != this, "share_input_of: a conv cannot share its own input quantizer");
  TORCH_CHECK(source.input_quantizer_ && source.input_source_.empty(),
              "share_input_of: ", source_path, " has no input quantizer of its own");
  TORCH_CHECK(options_.in_channels() == source.options_.in_channels(),
              "share_input_of: ", source_path, " reads ", source.options_.in_channels(),
              " channels, this conv ", options_.in_channels());
  if (input_quantizer_ && input_source_.empty()) unregister_module("input_quantizer");
  if (!source.input_memo_) source.input_memo_ = std::make_shared<InputMemo>();
  input_quantizer_ = source.input_quantizer_;
  input_memo_ = source.input_memo_;
  input_source_ = source_path;
}

torch::Tensor ConvQuantizerImpl::input(const torch::Tensor& x) {
  if (!input_quantizer_) return x;
  if (!input_memo_) return input_quantizer_->forward(x);
  return input_memo_->get(x, [&] { return input_quantizer_->forward(x); });
}

torch::Tensor ConvQuantizerImpl::weight(const torch::Tensor& w) {
  if (!weight_quantizer_) return w;
  auto quantized = weight_quantizer_->forward(w);
  if (tracker_ && tracker_->any_frozen()) {
    // Frozen weights sit on their integer and receive no gradient.
    const auto& lsq = static_cast<const LsqQuantizerImpl&>(*weight_quantizer_);
    const auto step = broadcast_like(lsq.step, w);
    auto value = tracker_->frozen_integer * step;
    if (lsq.offset.defined()) value = value + broadcast_like(lsq.offset, w);
    quantized = torch::where(tracker_->frozen, value, quantized);
  }
  return quantized;
}

torch::Tensor ConvQuantizerImpl::weight_integers(const torch::Tensor& w) const {
  const auto lsq = std::dynamic_pointer_cast<LsqQuantizerImpl>(weight_quantizer_);
  TORCH_CHECK(lsq, "weight_integers: the weight quantizer is not an LSQ quantizer");
  const auto integers = lsq->integers(w);
  if (!tracker_ || !tracker_->any_frozen()) return integers;
  return torch::where(tracker_->frozen.to(integers.device()),
                      tracker_->frozen_integer.to(integers.device(), integers.scalar_type()),
                      integers);
}

torch::Tensor ConvQuantizerImpl::output(const torch::Tensor& y) {
  if (!gamma.defined()) return y;
  return y * gamma.reshape({1, -1, 1, 1}) + beta.reshape({1, -1, 1, 1});
}

void ConvQuantizerImpl::scale_output_channels(const torch::Tensor& weight,
                                              const torch::Tensor& gamma) {
  torch::NoGradGuard no_grad;
  const auto per_channel = broadcast_like(gamma, weight);
  if (auto binary = std::dynamic_pointer_cast<BinaryWeightQuantizerImpl>(weight_quantizer_)) {
    binary->scale.mul_(gamma);
    return;
  }
  weight.mul_(per_channel);
  auto lsq = std::dynamic_pointer_cast<LsqQuantizerImpl>(weight_quantizer_);
  if (!lsq) return;
  auto spec = lsq->spec();
  spec.granularity = Granularity::kPerChannel;
  auto scaled = std::dynamic_pointer_cast<LsqQuantizerImpl>(
      make_weight_quantizer(spec, options_.weight_shape()));
  const auto channels = gamma.numel();
  scaled->set_grid(
      lsq->step.expand({channels}) * gamma,
      lsq->offset.defined() ? lsq->offset.expand({channels}) * gamma : torch::Tensor());
  scaled->to(weight.device());
  scaled->train(is_training());  // a new module starts in training mode; keep the model's mode
  weight_quantizer_ = replace_module("weight_quantizer", scaled);
}

void ConvQuantizerImpl::enable_correction() {
  if (gamma.defined()) return;
  const int64_t channels = options_.weight_shape()[0];
  gamma = register_parameter("gamma", torch::ones({channels}));
  beta = register_parameter("beta", torch::zeros({channels}));
}

void ConvQuantizerImpl::remove_correction() {
  if (!gamma.defined()) return;
  // torch::nn::Module has no unregister_parameter: drop the entries from the parameter dict.
  parameters_.erase("gamma");
  parameters_.erase("beta");
  gamma = torch::Tensor();
  beta = torch::Tensor();
}

}  // namespace qyolo::quant
