#include "qyolo/train/interrupt.h"

#include <gtest/gtest.h>

namespace qyolo::train {
namespace {

volatile std::sig_atomic_t g_previous_handler_calls = 0;
extern "C" void count_previous_handler_call(int) { ++g_previous_handler_calls; }

TEST(InterruptHandler, FirstSignalIsRecordedAndTheOldHandlerComesBack) {
  const auto before = std::signal(SIGTERM, count_previous_handler_call);
  {
    InterruptHandler interrupt;
    EXPECT_FALSE(interrupt.requested());
    std::raise(SIGTERM);
    EXPECT_TRUE(interrupt.requested());
    EXPECT_EQ(interrupt.signal_number(), SIGTERM);
    EXPECT_EQ(g_previous_handler_calls, 0);
  }
  std::raise(SIGTERM);
  EXPECT_EQ(g_previous_handler_calls, 1);
  std::signal(SIGTERM, before);
  // A new handler starts without the old request.
  InterruptHandler fresh;
  EXPECT_FALSE(fresh.requested());
}

TEST(InterruptHandlerDeathTest, SecondSignalEndsTheProcess) {
  EXPECT_EXIT(
      {
        InterruptHandler interrupt;
        std::raise(SIGINT);
        std::raise(SIGINT);
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

// A background job of a script inherits SIGINT as ignored; the terminal's Ctrl-C is not for it.
TEST(InterruptHandler, AnIgnoredSignalStaysIgnored) {
  const auto before = std::signal(SIGINT, SIG_IGN);
  {
    InterruptHandler interrupt;
    std::raise(SIGINT);
    EXPECT_FALSE(interrupt.requested());
  }
  EXPECT_EQ(std::signal(SIGINT, before), SIG_IGN);
}

TEST(InterruptHandler, SignalNames) {
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
}

}  // namespace
}  // namespace qyolo::train
