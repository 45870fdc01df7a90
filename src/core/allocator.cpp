#include "qyolo/core/allocator.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qyolo {
namespace {

bool user_configured_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) return true;
  for (const char* name : {"MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                           "MALLOC_TOP_PAD_"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

}  // namespace

bool retain_freed_memory() {
#if defined(__GLIBC__)
  if (user_configured_malloc()) return false;
  // Large blocks come from the heap instead of their own mappings (threads' arenas still map
  // what does not fit their heaps), and the heap top is never trimmed.
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, -1) == 1;  // -1: never trim
#else
  return false;
#endif
}

}  // namespace qyolo
