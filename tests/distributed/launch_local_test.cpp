#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "spawn.h"
#include "support/test_support.h"

namespace qyolo::distributed {
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
  EXPECT_LT(seconds, 12.0 * qyolo::test::wall_clock_scale()) << result.output;
}

TEST(LaunchLocal, CtrlCStopsEveryRank) {
  // Stand-in ranks: bash, like qyolo, cannot catch a signal it started with ignored, and a script
  // starts its & children with SIGINT ignored. So a forwarded SIGINT would leave them running.
  const auto dir = qyolo::test::temp_dir("launch_interrupt");
  qyolo::test::write_text(dir / "rank.sh",
                          "#!/usr/bin/env bash\n"
                          "trap 'touch \"$OUT/rank$RANK.stopped\"; exit 143' INT TERM\n"
                          "touch \"$OUT/rank$RANK.ready\"\n"
                          "for i in $(seq 600); do sleep 0.1; done\n");
  std::filesystem::permissions(dir / "rank.sh", std::filesystem::perms::owner_all);
  // The launcher runs as a job of an interactive-like shell (set -m), so SIGINT reaches it as
  // Ctrl-C in a terminal would.
  qyolo::test::write_text(
      dir / "drive.sh",
      "set -m\n"
      "OUT=. QYOLO_BIN=./rank.sh '" +
          (qyolo::test::source_dir() / "scripts/launch_local.sh").string() +
          "' 2 &\n"
          "launcher=$!\n"
          "for i in $(seq 200); do [ -f rank0.ready ] && [ -f rank1.ready ] && break; sleep 0.1; "
          "done\n"
          "kill -INT $launcher\n"
          "wait $launcher\n"
          "echo \"launcher exit $?\"\n");
  const auto start = std::chrono::steady_clock::now();
  const auto result =
      qyolo::test::run_command("cd '" + dir.string() + "' && timeout 60 bash drive.sh 2>&1");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(result.output.find("launcher exit 143"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "rank0.stopped")) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "rank1.stopped")) << result.output;
  EXPECT_LT(seconds, 30.0 * qyolo::test::wall_clock_scale()) << result.output;
}

TEST(LaunchLocal, RejectsABadProcessCount) {
  const auto result = qyolo::test::run_command(
      "'" + (qyolo::test::source_dir() / "scripts/launch_local.sh").string() + "' zero train 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("usage"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace qyolo::distributed
