#include "qyolo/nn/spp.h"

namespace qyolo::nn {
namespace {

torch::nn::MaxPool2d same_max_pool(int64_t kernel_size) {
  return torch::nn::MaxPool2d(
      torch::nn::MaxPool2dOptions(kernel_size).stride(1).padding(kernel_size / 2));
}

}  // namespace

torch::nn::ModuleList make_same_max_pools(const std::vector<int64_t>& kernel_sizes) {
  torch::nn::ModuleList pools;
  for (auto k : kernel_sizes) pools->push_back(same_max_pool(k));
  return pools;
}

SPPImpl::SPPImpl(const SPPOptions& o) {
  const auto hidden = o.in_channels() / 2;
  const auto branches = static_cast<int64_t>(o.kernel_sizes().size()) + 1;
  cv1 = register_module("cv1", Conv(ConvOptions(o.in_channels(), hidden, 1, 1).act(o.act())));
  cv2 = register_module("cv2",
                        Conv(ConvOptions(hidden * branches, o.out_channels(), 1, 1).act(o.act())));
  m = register_module("m", make_same_max_pools(o.kernel_sizes()));
}

torch::Tensor SPPImpl::forward(const torch::Tensor& input) {
  auto x = cv1->forward(input);
  std::vector<torch::Tensor> branches{x};
  for (const auto& pool : *m) branches.push_back(pool->as<torch::nn::MaxPool2d>()->forward(x));
  return cv2->forward(torch::cat(branches, 1));
}

SPPFImpl::SPPFImpl(const SPPFOptions& o) {
  const auto hidden = o.in_channels() / 2;
  cv1 = register_module("cv1", Conv(ConvOptions(o.in_channels(), hidden, 1, 1).act(o.act())));
  cv2 = register_module("cv2", Conv(ConvOptions(hidden * 4, o.out_channels(), 1, 1).act(o.act())));
  m = register_module("m", same_max_pool(o.kernel_size()));
}

torch::Tensor SPPFImpl::forward(const torch::Tensor& input) {
  auto x = cv1->forward(input);
  auto y1 = m->forward(x);
  auto y2 = m->forward(y1);
  return cv2->forward(torch::cat({x, y1, y2, m->forward(y2)}, 1));
}

SPPCSPCImpl::SPPCSPCImpl(const SPPCSPCOptions& o) {
  const auto c = static_cast<int64_t>(2.0 * static_cast<double>(o.out_channels()) * o.expansion());
  const auto conv = [&](int64_t in, int64_t out, int64_t k) {
    return Conv(ConvOptions(in, out, k, 1).act(o.act()));
  };
  cv1 = register_module("cv1", conv(o.in_channels(), c, 1));
  cv2 = register_module("cv2", conv(o.in_channels(), c, 1));
  cv3 = register_module("cv3", conv(c, c, 3));
  cv4 = register_module("cv4", conv(c, c, 1));
  m = register_module("m", make_same_max_pools(o.kernel_sizes()));
  const auto branches = static_cast<int64_t>(o.kernel_sizes().size()) + 1;
  cv5 = register_module("cv5", conv(branches * c, c, 1));
  cv6 = register_module("cv6", conv(c, c, 3));
  cv7 = register_module("cv7", conv(2 * c, o.out_channels(), 1));
}

torch::Tensor SPPCSPCImpl::forward(const torch::Tensor& x) {
  auto x1 = cv4->forward(cv3->forward(cv1->forward(x)));
  std::vector<torch::Tensor> branches{x1};
  for (const auto& pool : *m) branches.push_back(pool->as<torch::nn::MaxPool2d>()->forward(x1));
  auto y1 = cv6->forward(cv5->forward(torch::cat(branches, 1)));
  auto y2 = cv2->forward(x);
  return cv7->forward(torch::cat({y1, y2}, 1));
}

}  // namespace qyolo::nn
