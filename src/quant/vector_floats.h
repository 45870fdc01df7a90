// Fixed-width float vectors for the fused fake-quantization kernels.
// The element loops work on 8 floats at a time with GCC/Clang vector extensions (two SSE
// registers on the x86-64 baseline). On x86-64 they are also compiled for AVX2, and the loader
// picks that copy on CPUs that have it, so one binary stays portable.
#pragma once

#include <cstdint>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define QYOLO_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef QYOLO_VECTOR_CLONES
#define QYOLO_VECTOR_CLONES
#endif

namespace qyolo::quant::simd {

constexpr int kWidth = 8;
using Floats = float __attribute__((vector_size(4 * kWidth)));
using Ints = int32_t __attribute__((vector_size(4 * kWidth)));

}  // namespace qyolo::quant::simd
