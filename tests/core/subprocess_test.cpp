#include "qyolo/core/subprocess.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo {
namespace {

namespace fs = std::filesystem;

// A script in a folder whose name a shell would split and unquote, printing each argument on a
// line of its own and exiting with `code`.
fs::path echo_script(int code) {
  const auto dir = test::temp_dir("subprocess") / "it's a \"dir\" $HOME";
  const auto script = dir / "print args";
  test::write_text(script, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\nexit " +
                               std::to_string(code) + "\n");
  chmod(script.c_str(), 0755);
  return script;
}

TEST(Subprocess, ArgumentsReachTheProgramAsTheyAre) {
  const auto script = echo_script(0);
  const auto r = run_process({script.string(), "a b", "it's", "\"quoted\"", "$HOME", "`ls`", ""});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a b\nit's\n\"quoted\"\n$HOME\n`ls`\n\n");
}

TEST(Subprocess, ExitCodesAndSignalsAreReported) {
  EXPECT_EQ(run_process({echo_script(3).string()}).exit_code, 3);
  EXPECT_EQ(run_process({"/bin/sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
}

TEST(Subprocess, AProgramThatCannotStartIsAnError) {
  const auto missing = test::temp_dir("subprocess") / "no such program";
  try {
    run_process({missing.string(), "--flag"});
    FAIL() << "a missing program was started";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run " + missing.string() + " --flag"),
              std::string::npos)
        << e.what();
  }
}

TEST(Subprocess, CurrentExecutableIsThisTestProgram) {
  EXPECT_EQ(current_executable().filename(), "test_core");
  EXPECT_TRUE(current_executable().is_absolute());
}

}  // namespace
}  // namespace qyolo
