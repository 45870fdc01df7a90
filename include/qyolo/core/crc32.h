// CRC-32 (IEEE 802.3, as zlib and gzip compute it), for checking files qyolo reads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qyolo {

uint32_t crc32(const void* data, size_t size);

}  // namespace qyolo
