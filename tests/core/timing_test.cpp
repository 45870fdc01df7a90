#include "qyolo/core/timing.h"

#include <gtest/gtest.h>

namespace qyolo {
namespace {

TEST(Timing, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_DOUBLE_EQ(median({7.0}), 7.0);
  EXPECT_THROW(median({}), c10::Error);
}

TEST(Timing, StopwatchCountsUp) {
  const Stopwatch watch;
  const double first = watch.seconds();
  EXPECT_GE(first, 0.0);
  EXPECT_GE(watch.seconds(), first);
}

}  // namespace
}  // namespace qyolo
