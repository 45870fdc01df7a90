#include "qyolo/distributed/sync_batch_norm.h"

namespace qyolo::distributed {
namespace {

// Sum over ranks whose backward is again a sum over ranks: every rank's output is the same sum
// S = Σ_r x_r, so the gradient of the total loss for x_r is Σ_k ∂L_k/∂S.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* autograd, const torch::Tensor& x,
                               Context* context) {
    // autograd keeps non-tensor state as IValues: the context's address travels as an integer.
    autograd->saved_data["context"] = reinterpret_cast<int64_t>(context);
    auto sum = x.clone();
    context->all_reduce_sum({sum});
    return sum;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* autograd,
                                                 torch::autograd::variable_list grads) {
    auto* context = reinterpret_cast<Context*>(autograd->saved_data["context"].toInt());
    auto sum = grads[0].contiguous().clone();
    context->all_reduce_sum({sum});
    return {sum, torch::Tensor()};
  }
};

}  // namespace

SyncBatchNorm2dImpl::SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& options,
                                         Context& context)
    : options_(options), context_(&context) {
  TORCH_CHECK(options_.affine() && options_.track_running_stats(),
              "SyncBatchNorm2d supports affine batch norm with running statistics");
  const auto c = options_.num_features();
  weight = register_parameter("weight", torch::ones({c}));
  bias = register_parameter("bias", torch::zeros({c}));
  running_mean = register_buffer("running_mean", torch::zeros({c}));
  running_var = register_buffer("running_var", torch::ones({c}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

SyncBatchNorm2dImpl::SyncBatchNorm2dImpl(const torch::nn::BatchNorm2d& source, Context& context)
    : options_(source->options), context_(&context) {
  TORCH_CHECK(options_.affine() && options_.track_running_stats(),
              "SyncBatchNorm2d supports affine batch norm with running statistics");
  weight = register_parameter("weight", source->weight, source->weight.requires_grad());
  bias = register_parameter("bias", source->bias, source->bias.requires_grad());
  running_mean = register_buffer("running_mean", source->running_mean);
  running_var = register_buffer("running_var", source->running_var);
  num_batches_tracked = register_buffer("num_batches_tracked", source->num_batches_tracked);
  if (!source->is_training()) eval();
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() == 4, "SyncBatchNorm2d expects NCHW input, got ", input.dim(), "-D");
  double momentum = options_.momentum().value_or(0.0);
  if (is_training()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
    // Like BatchNorm2d: without a momentum, running statistics are a cumulative average.
    if (!options_.momentum()) momentum = 1.0 / num_batches_tracked.item<double>();
  }
  if (is_training() && context_->is_distributed()) return synchronized_forward(input, momentum);
  return torch::batch_norm(input, weight, bias, running_mean, running_var, is_training(), momentum,
                           options_.eps(), at::globalContext().userEnabledCuDNN());
}

torch::Tensor SyncBatchNorm2dImpl::synchronized_forward(const torch::Tensor& input,
                                                        double momentum) {
  const int64_t channels = input.size(1);
  const auto per_channel = [](const torch::Tensor& t) { return t.view({1, -1, 1, 1}); };
  // Shifting by the running mean (identical on all ranks) keeps Σx² − (Σx)²/n from cancelling
  // catastrophically when activations have a large mean.
  const auto shift = running_mean.detach().to(input.scalar_type()).clone();
  const auto centred = input - per_channel(shift);
  const auto local_count = torch::full({1}, static_cast<double>(input.numel() / channels),
                                       centred.options().requires_grad(false));
  const auto local =
      torch::cat({centred.sum({0, 2, 3}), centred.square().sum({0, 2, 3}), local_count});
  const auto global = AllReduceSum::apply(local, context_);
  const auto count = global[2 * channels];
  const auto mean_centred = global.narrow(0, 0, channels) / count;
  const auto var =
      (global.narrow(0, channels, channels) / count - mean_centred.square()).clamp_min(0);
  const auto mean = mean_centred + shift;
  {
    torch::NoGradGuard no_grad;
    const double n = count.item<double>();
    running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
    running_var.mul_(1 - momentum).add_(var.detach() * (n / std::max(n - 1, 1.0)), momentum);
  }
  const auto scale = weight * torch::rsqrt(var + options_.eps());
  return (input - per_channel(mean)) * per_channel(scale) + per_channel(bias);
}

void SyncBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "qyolo::distributed::SyncBatchNorm2d(" << options_.num_features()
         << ", eps=" << options_.eps() << ", momentum=";
  if (options_.momentum()) {
    stream << *options_.momentum();
  } else {
    stream << "None";
  }
  stream << ", world_size=" << context_->world_size() << ")";
}

}  // namespace qyolo::distributed
