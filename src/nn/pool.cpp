#include "qyolo/nn/pool.h"

namespace qyolo::nn {

MPImpl::MPImpl(int64_t kernel_size) {
  m = register_module(
      "m", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(kernel_size).stride(kernel_size)));
}

SPImpl::SPImpl(int64_t kernel_size, int64_t stride) {
  m = register_module(
      "m", torch::nn::MaxPool2d(
               torch::nn::MaxPool2dOptions(kernel_size).stride(stride).padding(kernel_size / 2)));
}

}  // namespace qyolo::nn
