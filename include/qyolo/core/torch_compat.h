// The differences between the LibTorch versions qyolo builds against, in one place: 1.13
// (Debian 12) and 2.x (Debian 13's 2.6, pytorch.org's CUDA archives). Code elsewhere uses the
// names below instead of testing versions itself. Build-level differences (ONNX targets, the
// C++ ABI of a downloaded LibTorch, NCCL) are handled in CMake (cmake/QyoloTorch.cmake).
#pragma once

#include <torch/version.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

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

namespace detail {
template <class Options, class = void>
struct HasUseLibUV : std::false_type {};
template <class Options>
struct HasUseLibUV<Options, std::void_t<decltype(std::declval<Options&>().useLibUV)>>
    : std::true_type {};
}  // namespace detail

// Sets c10d::TCPStoreOptions to the classic store server. From 2.4 on the server defaults to the
// libuv one, which a LibTorch built without libuv (Debian's) refuses to start; the classic one,
// the only one in 1.13, is in every build and serves a run's ranks. A template so that this
// header needs no c10d include.
template <class TCPStoreOptions>
void use_classic_tcpstore_server(TCPStoreOptions& options) {
  if constexpr (detail::HasUseLibUV<TCPStoreOptions>::value) options.useLibUV = false;
}

}  // namespace qyolo::compat
