#include "qyolo/nn/proto.h"

namespace qyolo::nn {

ProtoImpl::ProtoImpl(int64_t in_channels, int64_t prototypes, int64_t masks, Activation act) {
  cv1 = register_module("cv1", Conv(ConvOptions(in_channels, prototypes, 3).act(act)));
  upsample = register_module("upsample",
                             torch::nn::Upsample(torch::nn::UpsampleOptions()
                                                     .scale_factor(std::vector<double>{2.0, 2.0})
                                                     .mode(torch::kNearest)));
  cv2 = register_module("cv2", Conv(ConvOptions(prototypes, prototypes, 3).act(act)));
  cv3 = register_module("cv3", Conv(ConvOptions(prototypes, masks).act(act)));
}

torch::Tensor ProtoImpl::forward(const torch::Tensor& x) {
  return cv3->forward(cv2->forward(upsample->forward(cv1->forward(x))));
}

}  // namespace qyolo::nn
