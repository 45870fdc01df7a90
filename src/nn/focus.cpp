#include "qyolo/nn/focus.h"

namespace qyolo::nn {

FocusImpl::FocusImpl(ConvOptions options) {
  options.in_channels(options.in_channels() * 4);
  conv = register_module("conv", Conv(options));
}

torch::Tensor FocusImpl::forward(const torch::Tensor& x) {
  using torch::indexing::Slice;
  const auto even = Slice(0, torch::indexing::None, 2);
  const auto odd = Slice(1, torch::indexing::None, 2);
  // Phase order (rows, cols): (0,0), (1,0), (0,1), (1,1), as the reference weights expect.
  return conv->forward(torch::cat({x.index({"...", even, even}), x.index({"...", odd, even}),
                                   x.index({"...", even, odd}), x.index({"...", odd, odd})},
                                  1));
}

}  // namespace qyolo::nn
