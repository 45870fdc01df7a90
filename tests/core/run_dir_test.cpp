#include "qyolo/core/run_dir.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo {
namespace {

namespace fs = std::filesystem;

TEST(IncrementRunDir, AFreeNameIsUsedAsGiven) {
  const auto root = test::temp_dir("run_dir");
  EXPECT_EQ(increment_run_dir(root / "runs/val/exp", false), root / "runs/val/exp");
  EXPECT_FALSE(fs::exists(root / "runs")) << "naming the folder does not create it";
}

TEST(IncrementRunDir, ATakenNameGetsTheFirstFreeNumber) {
  const auto root = test::temp_dir("run_dir");
  fs::create_directories(root / "exp");
  EXPECT_EQ(increment_run_dir(root / "exp", false), root / "exp2");
  fs::create_directories(root / "exp2");
  fs::create_directories(root / "exp4");
  EXPECT_EQ(increment_run_dir(root / "exp", false), root / "exp3");
  // A file takes the name as much as a folder does.
  test::write_text(root / "exp3", "");
  EXPECT_EQ(increment_run_dir(root / "exp", false), root / "exp5");
}

TEST(IncrementRunDir, ExistOkReusesTheName) {
  const auto root = test::temp_dir("run_dir");
  fs::create_directories(root / "exp");
  EXPECT_EQ(increment_run_dir(root / "exp", true), root / "exp");
}

}  // namespace
}  // namespace qyolo
