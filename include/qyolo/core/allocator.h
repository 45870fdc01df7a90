// Process-wide settings of the C allocator.
#pragma once

namespace qyolo {

// Makes glibc's malloc keep freed memory for reuse instead of handing it back to the kernel.
// By default every block above 32 MB (and, once the heap shrinks, freed memory at its top) goes
// back with munmap/trim, so a training step that allocates and frees the same activations again
// touches fresh pages: on the reference 2-core machine the page faults were a third of a yolov5n
// step. With the setting the process holds its peak between steps, which it reaches every step
// anyway. Leaves the allocator alone when the user configured it (GLIBC_TUNABLES with malloc
// keys, MALLOC_*_ variables) or when the C library is not glibc. Returns whether it applied.
bool retain_freed_memory();

}  // namespace qyolo
