#include "qyolo/core/read_file.h"

#include <gtest/gtest.h>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo {
namespace {

std::string error_of(const std::filesystem::path& path, const std::string& what) {
  try {
    read_file(path, what);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error for " << path;
  return {};
}

TEST(ReadFile, ReturnsEveryByte) {
  const auto dir = test::temp_dir("read_file");
  std::string bytes(200000, 'x');  // more than one read chunk
  bytes[3] = '\0';
  bytes[150000] = '\xff';
  test::write_text(dir / "blob.bin", bytes);
  EXPECT_EQ(read_file(dir / "blob.bin"), bytes);
  test::write_text(dir / "empty.txt", "");
  std::error_code error;
  EXPECT_EQ(read_file(dir / "empty.txt", error), "");
  EXPECT_FALSE(error) << error.message();
}

TEST(ReadFile, MissingFileOrFolderNamesThePathAndWhy) {
  const auto dir = test::temp_dir("read_file");
  EXPECT_EQ(
      error_of(dir / "none.yaml", "the model yaml"),
      (dir / "none.yaml").string() + ": cannot read the model yaml: No such file or directory");
  EXPECT_EQ(error_of(dir, "the weights file"),
            dir.string() + ": cannot read the weights file: Is a directory");
}

TEST(ReadFile, ErrorCodeVariantReportsInsteadOfThrowing) {
  const auto dir = test::temp_dir("read_file");
  std::error_code error;
  EXPECT_EQ(read_file(dir / "none", error), "");
  EXPECT_EQ(error, std::errc::no_such_file_or_directory);
  EXPECT_EQ(read_file(dir, error), "");
  EXPECT_EQ(error, std::errc::is_a_directory);
}

}  // namespace
}  // namespace qyolo
