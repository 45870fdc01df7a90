#include "qyolo/core/input_file.h"

#include <gtest/gtest.h>

#include <functional>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo {
namespace {

namespace fs = std::filesystem;

// The message a UsageError from `check` carries ("" when it passes).
std::string usage_error(const std::function<void()>& check) {
  try {
    check();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(InputFile, MissingEmptyAndFolderAreUsageErrorsNamingFlagAndFile) {
  const auto dir = test::temp_dir("input_file");
  const auto missing = (dir / "missing.qyolo").string();
  const auto empty = (dir / "empty.qyolo").string();
  const auto folder = (dir / "folder.qyolo").string();
  test::write_text(empty, "");
  fs::create_directories(folder);
  EXPECT_EQ(usage_error([&] { require_input_file(missing, "--weights"); }),
            "--weights " + missing + ": no such file");
  EXPECT_EQ(usage_error([&] { require_input_file(empty, "--weights"); }),
            "--weights " + empty + ": the file is empty (0 bytes)");
  EXPECT_EQ(usage_error([&] { require_input_file(folder, "--resume"); }),
            "--resume " + folder + ": is a directory, expected a file");
}

TEST(InputFile, ACheckpointIsRecognisedByItsHeader) {
  const auto dir = test::temp_dir("input_file");
  const auto text = (dir / "notes.qyolo").string();
  test::write_text(text, "not a checkpoint");
  EXPECT_NE(usage_error([&] {
              require_checkpoint_file(text, "--resume");
            }).find("--resume " + text + ": not a qyolo checkpoint"),
            std::string::npos);
  require_input_file(text, "--weights");  // any non-empty file is an input file

  const auto ckpt = dir / "last.qyolo";
  save_checkpoint(Checkpoint{}, ckpt);
  EXPECT_EQ(usage_error([&] { require_checkpoint_file(ckpt.string(), "--resume"); }), "");
}

}  // namespace
}  // namespace qyolo
