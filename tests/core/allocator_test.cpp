#include "qyolo/core/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qyolo {
namespace {

#if defined(__GLIBC__)
TEST(RetainFreedMemory, LargeBlocksComeFromTheHeapAndStayAfterFree) {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_",
                           "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
    unsetenv(name);
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc's malloc, whose options this sets";
#endif
  ASSERT_TRUE(retain_freed_memory());
  constexpr size_t kBytes = size_t{96} << 20;  // above glibc's largest mmap threshold (32 MB)
  const size_t mapped_before = mallinfo2().hblkhd;
  auto* block = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBytes);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mapped on its own";
  std::free(block);
  // Kept by the process for the next allocation rather than trimmed back to the kernel.
  EXPECT_GE(mallinfo2().fordblks, kBytes);
}

TEST(RetainFreedMemory, LeavesAUserConfiguredAllocatorAlone) {
  setenv("MALLOC_MMAP_MAX_", "65536", 1);
  EXPECT_FALSE(retain_freed_memory());
  unsetenv("MALLOC_MMAP_MAX_");
  setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1", 1);
  EXPECT_FALSE(retain_freed_memory());
  unsetenv("GLIBC_TUNABLES");
}
#endif

}  // namespace
}  // namespace qyolo
