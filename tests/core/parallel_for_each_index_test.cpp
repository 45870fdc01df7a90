#include "qyolo/core/parallel_for_each_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace qyolo {
namespace {

TEST(ParallelForEachIndex, VisitsEveryIndexOnce) {
  for (const int threads : {0, 1, 3, 64}) {
    std::vector<std::atomic<int>> visits(100);
    std::mutex mutex;
    std::set<std::thread::id> workers;
    parallel_for_each_index(100, threads, [&](int64_t i) {
      ++visits[i];
      std::lock_guard<std::mutex> lock(mutex);
      workers.insert(std::this_thread::get_id());
    });
    for (size_t i = 0; i < visits.size(); ++i) EXPECT_EQ(visits[i], 1) << i;
    EXPECT_LE(workers.size(), static_cast<size_t>(std::max(1, threads))) << threads;
  }
  parallel_for_each_index(0, 4, [](int64_t) { FAIL() << "no index to visit"; });
}

TEST(ParallelForEachIndex, RethrowsAfterEveryThreadStopped) {
  std::atomic<int> running{0}, started{0};
  try {
    parallel_for_each_index(1000, 4, [&](int64_t i) {
      ++running;
      ++started;
      if (i == 10) {
        --running;
        throw std::runtime_error("index 10 failed");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      --running;
    });
    FAIL() << "expected the body's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "index 10 failed");
  }
  EXPECT_EQ(running, 0);    // no call outlives the helper
  EXPECT_LT(started, 100);  // the indices after the failure are never started
}

}  // namespace
}  // namespace qyolo
