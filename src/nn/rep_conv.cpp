#include "qyolo/nn/rep_conv.h"

namespace qyolo::nn {

RepConvImpl::RepConvImpl(const ConvOptions& o) {
  TORCH_CHECK(o.kernel_size() == 3 && autopad(3, o.padding()) == 1,
              "RepConv needs kernel size 3 with padding 1");
  const auto branch = [&](int64_t k, int64_t padding) {
    return torch::nn::Sequential(Conv2d(Conv2dOptions(o.in_channels(), o.out_channels(), k)
                                            .stride(o.stride())
                                            .padding(padding)
                                            .groups(o.groups())),
                                 make_batch_norm(o.out_channels()));
  };
  if (o.in_channels() == o.out_channels() && o.stride() == 1) {
    rbr_identity = register_module("rbr_identity", make_batch_norm(o.in_channels()));
  }
  rbr_dense = register_module("rbr_dense", branch(3, 1));
  rbr_1x1 = register_module("rbr_1x1", branch(1, 0));
  act = o.act().is_empty() ? make_silu() : o.act();
  register_module("act", act.ptr());
}

torch::Tensor RepConvImpl::forward(const torch::Tensor& x) {
  auto y = rbr_dense->forward(x) + rbr_1x1->forward(x);
  if (rbr_identity) y = y + rbr_identity->forward(x);
  return act.forward(y);
}

}  // namespace qyolo::nn
