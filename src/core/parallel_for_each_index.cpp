#include "qyolo/core/parallel_for_each_index.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace qyolo {

void parallel_for_each_index(int64_t count, int threads,
                             const std::function<void(int64_t index)>& body) {
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    try {
      for (int64_t i = next++; i < count; i = next++) body(i);
    } catch (...) {
      next = count;  // the other threads finish the index they hold and stop
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  const int64_t helpers = std::min<int64_t>(std::max(1, threads), count) - 1;
  std::vector<std::thread> pool;
  try {
    for (int64_t t = 0; t < helpers; ++t) pool.emplace_back(work);
  } catch (...) {
    // A thread could not start: the running ones must be joined (destroying them terminates).
    next = count;
    for (auto& thread : pool) thread.join();
    throw;
  }
  work();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace qyolo
