#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "spawn.h"
#include "support/test_support.h"

namespace qyolo::dist {
namespace {

// Runs scripts/launch_local.sh with this test binary as the "qyolo" executable: each rank then
// runs one of the workers registered in context_test.cpp.
qyolo::test::CommandResult launch(int nproc, const std::string& worker,
                                  const std::filesystem::path& out_dir, const std::string& env) {
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter =
      std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name();
  const std::string command = "QYOLO_BIN='" + exe.string() + "' QYOLO_DIST_WORKER=" + worker +
                              " QYOLO_DIST_OUT='" + out_dir.string() + "' " + env + " '" +
                              (qyolo::test::source_dir() / "scripts/launch_local.sh").string() +
                              "' " + std::to_string(nproc) + " " + filter + " 2>&1";
  return qyolo::test::run_command(command);
}

TEST(LaunchLocal, StartsRanksThatFormOneRun) {
  const auto dir = qyolo::test::temp_dir("launch_ok");
  const auto result = launch(2, "collectives", dir, "");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "rank0.pt")) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "rank1.pt")) << result.output;
}

TEST(LaunchLocal, FailsAsSoonAsOneRankDies) {
  const auto dir = qyolo::test::temp_dir("launch_fail");
  const auto start = std::chrono::steady_clock::now();
  const auto result = launch(2, "fault", dir, "QYOLO_TEST_FAULT=kill QYOLO_TEST_VICTIM=1");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exit_code, 128 + 9) << result.output;  // rank 1's SIGKILL
  EXPECT_NE(result.output.find("rank 1 exited with code 137"), std::string::npos) << result.output;
  EXPECT_LT(seconds, 12.0) << result.output;
}

TEST(LaunchLocal, RejectsABadProcessCount) {
  const auto result = qyolo::test::run_command(
      "'" + (qyolo::test::source_dir() / "scripts/launch_local.sh").string() + "' zero train 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("usage"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace qyolo::dist
