// ultralytics Proto: the prototype-mask branch of the Segment head.
#pragma once

#include <torch/torch.h>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

// cv3(cv2(upsample2x(cv1(x)))): 3x3 Conv to `prototypes` channels, nearest 2x, 3x3 Conv,
// 1x1 Conv to `masks` channels.
class ProtoImpl : public torch::nn::Module {
 public:
  ProtoImpl(int64_t in_channels, int64_t prototypes, int64_t masks, Activation act = {});
  torch::Tensor forward(const torch::Tensor& x);

  Conv cv1{nullptr}, cv2{nullptr}, cv3{nullptr};
  torch::nn::Upsample upsample{nullptr};
};
TORCH_MODULE(Proto);

}  // namespace qyolo::nn
