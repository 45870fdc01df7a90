#include "qyolo/nn/csp.h"

namespace qyolo::nn {

BottleneckImpl::BottleneckImpl(const BottleneckOptions& o) {
  const auto hidden = static_cast<int64_t>(static_cast<double>(o.out_channels()) * o.expansion());
  cv1 = register_module("cv1", Conv(ConvOptions(o.in_channels(), hidden, 1, 1).act(o.act())));
  cv2 = register_module(
      "cv2", Conv(ConvOptions(hidden, o.out_channels(), 3, 1).groups(o.groups()).act(o.act())));
  add = o.shortcut() && o.in_channels() == o.out_channels();
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto y = cv2->forward(cv1->forward(x));
  return add ? x + y : y;
}

C3Impl::C3Impl(const C3Options& o) {
  const auto hidden = static_cast<int64_t>(static_cast<double>(o.out_channels()) * o.expansion());
  cv1 = register_module("cv1", Conv(ConvOptions(o.in_channels(), hidden, 1, 1).act(o.act())));
  cv2 = register_module("cv2", Conv(ConvOptions(o.in_channels(), hidden, 1, 1).act(o.act())));
  cv3 = register_module("cv3", Conv(ConvOptions(2 * hidden, o.out_channels(), 1).act(o.act())));
  m = register_module("m", torch::nn::Sequential());
  for (int64_t i = 0; i < o.repeats(); ++i) {
    m->push_back(Bottleneck(BottleneckOptions(hidden, hidden)
                                .shortcut(o.shortcut())
                                .groups(o.groups())
                                .expansion(1.0)
                                .act(o.act())));
  }
}

torch::Tensor C3Impl::forward(const torch::Tensor& x) {
  // Order matters for the weights: the bottleneck branch comes first.
  return cv3->forward(torch::cat({m->forward(cv1->forward(x)), cv2->forward(x)}, 1));
}

}  // namespace qyolo::nn
