#include "qyolo/nn/image_size.h"

#include <c10/util/Exception.h>

#include <algorithm>

#include "qyolo/core/error.h"

namespace qyolo::nn {

void check_image_size(int64_t size, int64_t stride, const std::string& what) {
  TORCH_CHECK(stride > 0, "check_image_size: stride must be positive, got ", stride);
  if (size > 0 && size % stride == 0) return;
  const int64_t below = size / stride * stride;
  const std::string nearest = below >= stride ? "sizes are " + std::to_string(below) + " and " +
                                                    std::to_string(below + stride)
                                              : "size is " + std::to_string(stride);
  throw UsageError(what + " " + std::to_string(size) + " is not a multiple of the model's stride " +
                   std::to_string(stride) + "; the nearest valid " + nearest);
}

int64_t training_stride(const ModelImpl& model) {
  return std::max<int64_t>(model.max_stride(), 32);
}

}  // namespace qyolo::nn
