// The differences between the LibTorch versions qyolo builds against, in one place: 1.13
// (Debian 12) and 2.x (Debian 13's 2.6, pytorch.org's CUDA archives). Code elsewhere uses the
// names below instead of testing versions itself. Build-level differences (ONNX targets, the
// C++ ABI of a downloaded LibTorch, NCCL) are handled in CMake (cmake/QyoloTorch.cmake).
#pragma once

#include <torch/version.h>

#include <cstddef>
#include <cstdint>

// True when the LibTorch being compiled against is major.minor or newer.
#define QYOLO_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||        \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace qyolo::compat {

// The type of the allocator totals c10::MemoryReportingInfoBase::reportMemoryUsage receives:
// int64_t up to 1.13, size_t from 2.0 on.
#if QYOLO_TORCH_AT_LEAST(2, 0)
using MemoryReportTotal = std::size_t;
#else
using MemoryReportTotal = std::int64_t;
#endif

}  // namespace qyolo::compat
