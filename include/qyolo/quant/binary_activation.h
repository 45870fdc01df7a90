// MPQ-YOLO's binary activation α·sign(x − b), as one fused kernel for float tensors on the CPU.
#pragma once

#include <torch/torch.h>

namespace qyolo::quant {

// x is shaped (N, C, ...), `shift` holds one b per channel C, `scale` the single α. The output is
// α·sign(x − b) with sign(0) = +1. Gradients, with u = x − b and Bi-Real Net's ApproxSign:
//   dx = g·α·max(0, 2 − 2|u|);  db = −Σ dx over the channel;  dα = Σ g·sign(u).
// On the fused path the forward keeps only x for the backward (the tensor-op form keeps x − b and
// sign(x − b) as well), and the backward is one pass over x and g. Sums run per image and channel
// in a fixed order, so gradients do not depend on the thread count. Other devices and dtypes take
// the same computation in tensor ops.
torch::Tensor binary_activation(const torch::Tensor& x, const torch::Tensor& shift,
                                const torch::Tensor& scale);

}  // namespace qyolo::quant
