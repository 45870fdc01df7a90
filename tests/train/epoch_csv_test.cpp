#include "qyolo/train/epoch_csv.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace qyolo::train {
namespace {

// A run killed after appending epoch 2's row but before writing its checkpoint (epoch 1) left a
// row, plus a torn one, that resuming from epoch 1 must not keep.
TEST(EpochCsv, KeepsTheHeaderAndTheRowsThroughTheCheckpointEpoch) {
  const auto csv = test::temp_dir("epoch_csv") / "results.csv";
  std::ofstream(csv) << "epoch,loss\n0,0.5\n1,0.4\n2,0.3\n2,0.";
  EXPECT_EQ(keep_epoch_rows_through(csv, 1), 2);
  EXPECT_EQ(test::read_text(csv), "epoch,loss\n0,0.5\n1,0.4\n");
  EXPECT_EQ(keep_epoch_rows_through(csv, 1), 0);
  EXPECT_EQ(test::read_text(csv), "epoch,loss\n0,0.5\n1,0.4\n");
}

TEST(EpochCsv, ManyRowsPerEpochAndMissingFiles) {
  const auto dir = test::temp_dir("epoch_csv");
  std::ofstream(dir / "oscillation.csv") << "epoch,path\n0,a\n0,b\n1,a\n1,b\n";
  EXPECT_EQ(keep_epoch_rows_through(dir / "oscillation.csv", 0), 2);
  EXPECT_EQ(test::read_text(dir / "oscillation.csv"), "epoch,path\n0,a\n0,b\n");
  EXPECT_EQ(keep_epoch_rows_through(dir / "missing.csv", 0), 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.csv"));
}

}  // namespace
}  // namespace qyolo::train
