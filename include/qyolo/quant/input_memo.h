// The last fake-quantized input of a quantizer that several convs share.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace qyolo::quant {

// Convs that read the same tensor through one quantizer get the same fake-quantized tensor (and
// autograd node) instead of one copy each. Both tensors are held weakly: the memo never keeps
// memory alive; the first reader's autograd graph does while training, and without a graph (eval,
// no_grad) the result is simply recomputed.
class InputMemo {
 public:
  // compute() for `x`, or the tensor it returned for this very `x` (same tensor, unmodified since,
  // same grad mode) if that tensor is still alive.
  torch::Tensor get(const torch::Tensor& x, const std::function<torch::Tensor()>& compute);

 private:
  using WeakTensor = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;
  WeakTensor input_{c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>()};
  WeakTensor output_{c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>()};
  int64_t input_version_ = -1;
  bool grad_enabled_ = false;
};

}  // namespace qyolo::quant
