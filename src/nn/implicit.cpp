#include "qyolo/nn/implicit.h"

namespace qyolo::nn {

ImplicitAImpl::ImplicitAImpl(int64_t channels) {
  implicit = register_parameter("implicit", torch::empty({1, channels, 1, 1}));
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(implicit, 0.0, 0.02);
}

ImplicitMImpl::ImplicitMImpl(int64_t channels) {
  implicit = register_parameter("implicit", torch::empty({1, channels, 1, 1}));
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(implicit, 1.0, 0.02);
}

}  // namespace qyolo::nn
