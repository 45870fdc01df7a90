#include "qyolo/core/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace qyolo {
namespace {

TEST(Progress, FormatsDurationsLikeTqdm) {
  EXPECT_EQ(ProgressBar::format_duration(0), "00:00");
  EXPECT_EQ(ProgressBar::format_duration(75.9), "01:15");
  EXPECT_EQ(ProgressBar::format_duration(3723), "1:02:03");
  EXPECT_EQ(ProgressBar::format_duration(-1), "?");
}

TEST(Progress, NonTerminalOutputPrintsPeriodicLines) {
  const auto path = test::temp_dir("progress") / "log.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar(100, "epoch 1/3", f);
    for (int i = 0; i < 100; ++i) {
      bar.set_postfix("loss 0.5");
      bar.update();
    }
  }
  std::fclose(f);
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  std::string last;
  while (std::getline(in, line)) ++lines, last = line;
  EXPECT_EQ(lines, 11);  // the first item, then one line per 10%, no duplicate at close
  EXPECT_NE(last.find("100%"), std::string::npos) << last;
  EXPECT_NE(last.find("100/100"), std::string::npos) << last;
  EXPECT_NE(last.find("it/s]"), std::string::npos) << last;
  EXPECT_NE(last.find("loss 0.5"), std::string::npos) << last;
}

}  // namespace
}  // namespace qyolo
