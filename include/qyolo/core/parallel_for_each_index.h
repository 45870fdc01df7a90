// Spreading independent work items over a few threads.
#pragma once

#include <cstdint>
#include <functional>

namespace qyolo {

// Calls body(i) once for every i in [0, count), on `threads` threads (the calling one and
// threads - 1 more; at least one, at most count), each taking the next unclaimed index. When a
// call throws, no further index is started, and once every thread has finished the first
// exception is rethrown. body must be safe to call concurrently for different indices.
void parallel_for_each_index(int64_t count, int threads,
                             const std::function<void(int64_t index)>& body);

}  // namespace qyolo
