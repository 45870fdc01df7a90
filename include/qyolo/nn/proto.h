// ultralytics Proto: the prototype-mask branch of the Segment head.
#pragma once

#include <torch/torch.h>

#include "qyolo/nn/conv.h"

namespace qyolo::nn {

// cv1 (3x3) -> nearest 2x upsample -> cv2 (3x3) -> cv3 (1x1 to nm masks).
class ProtoImpl : public torch::nn::Module {
 public:
  ProtoImpl(int64_t in_channels, int64_t protos, int64_t masks, Activation act);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  Conv cv1_{nullptr}, cv2_{nullptr}, cv3_{nullptr};
  torch::nn::Upsample upsample_{nullptr};
};
TORCH_MODULE(Proto);

}  // namespace qyolo::nn
