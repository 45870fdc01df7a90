#include "qyolo/core/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo {
namespace {

Checkpoint sample() {
  Checkpoint c;
  c.kind = "train";
  c.model_yaml = "nc: 80\n";
  c.config_yaml = "train: {epochs: 3}\n";
  c.epoch = 4;
  c.model["model.0.conv.weight"] = torch::randn({4, 3, 3, 3});
  c.model["model.0.bn.num_batches_tracked"] = torch::tensor(7, torch::kLong);
  c.ema["model.0.conv.weight"] = torch::randn({4, 3, 3, 3});
  c.ema_updates = 123.5;
  c.extra["rng"] = torch::randint(0, 255, {16}, torch::kUInt8);
  c.metrics["mAP50"] = 0.5;
  c.meta_json = "{\"stage\": 1}";
  return c;
}

TEST(Checkpoint, RoundTripsEveryField) {
  const auto dir = test::temp_dir("ckpt");
  torch::nn::Linear lin(3, 2);
  torch::optim::Adam opt(lin->parameters(), 1e-3);
  lin(torch::randn({5, 3})).sum().backward();
  opt.step();
  Checkpoint c = sample();
  c.optimizer = optimizer_state_bytes(opt);
  save_checkpoint(c, dir / "last.qyolo");
  ASSERT_TRUE(is_checkpoint_file(dir / "last.qyolo"));

  const Checkpoint r = load_checkpoint(dir / "last.qyolo");
  EXPECT_EQ(r.kind, "train");
  EXPECT_EQ(r.epoch, 4);
  EXPECT_EQ(r.model_yaml, c.model_yaml);
  EXPECT_EQ(r.config_yaml, c.config_yaml);
  EXPECT_DOUBLE_EQ(r.ema_updates, 123.5);
  EXPECT_DOUBLE_EQ(r.metrics.at("mAP50"), 0.5);
  EXPECT_EQ(r.meta_json, c.meta_json);
  EXPECT_TRUE(torch::equal(r.model.at("model.0.conv.weight"), c.model.at("model.0.conv.weight")));
  EXPECT_EQ(r.model.at("model.0.bn.num_batches_tracked").item<int64_t>(), 7);
  EXPECT_TRUE(torch::equal(r.extra.at("rng"), c.extra.at("rng")));
  EXPECT_TRUE(torch::equal(r.weights().at("model.0.conv.weight"), c.ema.at("model.0.conv.weight")));
  EXPECT_EQ(r.optimizer, c.optimizer);

  torch::optim::Adam opt2(lin->parameters(), 1e-3);
  load_optimizer_state(opt2, r.optimizer);
  EXPECT_EQ(optimizer_state_bytes(opt2).size(), c.optimizer.size());
}

// A checkpoint written before zlib computed the checksums (qyolo's own CRC-32, commit 2e3d717,
// by RoundTripsEveryField): zlib's CRC-32 is the same polynomial, so it still loads.
TEST(Checkpoint, FileFromBeforeZlibStillLoads) {
  const Checkpoint r = load_checkpoint(test::fixtures_dir() / "checkpoint_before_zlib.qyolo");
  EXPECT_EQ(r.kind, "train");
  EXPECT_EQ(r.epoch, 4);
  EXPECT_EQ(r.model_yaml, "nc: 80\n");
  EXPECT_DOUBLE_EQ(r.ema_updates, 123.5);
  EXPECT_EQ(r.model.at("model.0.bn.num_batches_tracked").item<int64_t>(), 7);
}

TEST(Checkpoint, TruncatedFileIsRejectedClearly) {
  const auto dir = test::temp_dir("ckpt");
  save_checkpoint(sample(), dir / "a.qyolo");
  const auto size = std::filesystem::file_size(dir / "a.qyolo");
  std::filesystem::resize_file(dir / "a.qyolo", size / 2);
  try {
    load_checkpoint(dir / "a.qyolo");
    FAIL() << "truncated file loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, ForeignFileIsRejectedClearly) {
  const auto dir = test::temp_dir("ckpt");
  std::ofstream(dir / "x.qyolo") << "not a checkpoint at all";
  try {
    load_checkpoint(dir / "x.qyolo");
    FAIL() << "foreign file loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a qyolo checkpoint"), std::string::npos);
  }
}

TEST(Checkpoint, AtomicWriteLeavesNoTempFiles) {
  const auto dir = test::temp_dir("ckpt");
  save_checkpoint(sample(), dir / "last.qyolo");
  save_checkpoint(sample(), dir / "last.qyolo");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

std::vector<std::string> file_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// `qyolo export -o <existing folder>` used to leave a 7 MB temp file next to the folder.
TEST(Checkpoint, AtomicWriteToAFolderIsAUsageErrorAndLeavesNothing) {
  const auto dir = test::temp_dir("ckpt");
  std::filesystem::create_directories(dir / "out");
  EXPECT_THROW(write_file_atomic(dir / "out", std::string(1000, 'x')), UsageError);
  EXPECT_EQ(file_names(dir), std::vector<std::string>{"out"});
  EXPECT_TRUE(std::filesystem::is_empty(dir / "out"));
}

// A write that fails midway (here: beyond the file size limit, as on a full disk) keeps the old
// file and removes its temp file.
TEST(Checkpoint, FailedAtomicWriteKeepsTheOldFile) {
  const auto dir = test::temp_dir("ckpt");
  write_file_atomic(dir / "a.bin", "old");
  test::with_file_size_limit(4096, [&] {
    EXPECT_THROW(write_file_atomic(dir / "a.bin", std::string(10000, 'x')), Error);
  });
  std::ifstream in(dir / "a.bin");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "old");
  EXPECT_EQ(file_names(dir), std::vector<std::string>{"a.bin"});
}

// A run killed while writing last.qyolo leaves ".last.qyolo.tmp<pid>"; only such files of
// processes that no longer run are removed.
TEST(Checkpoint, RemovesOnlyStaleTempFilesOfTheAtomicWriter) {
  const auto dir = test::temp_dir("ckpt");
  const std::string dead_pid = "999999999";  // above any pid_max (at most 2^22)
  for (const auto& name : std::vector<std::string>{
           ".last.qyolo.tmp" + dead_pid, ".best.qyolo.tmp" + std::to_string(getppid()),
           ".last.qyolo.tmp" + std::to_string(getpid()), "last.qyolo.tmp" + dead_pid,
           ".last.qyolo.tmpx", ".tmp" + dead_pid, "last.qyolo"})
    std::ofstream(dir / name) << "x";
  EXPECT_EQ(remove_stale_temp_files(dir), 1);
  EXPECT_FALSE(std::filesystem::exists(dir / (".last.qyolo.tmp" + dead_pid)));
  EXPECT_EQ(file_names(dir).size(), 6u);
  EXPECT_EQ(remove_stale_temp_files(dir / "missing"), 0);
}

TEST(Checkpoint, WeightsFileAcceptsPlainPickledDicts) {
  const auto dir = test::temp_dir("ckpt");
  c10::impl::GenericDict d(c10::StringType::get(), c10::TensorType::get());
  d.insert("model.0.conv.weight", torch::ones({2, 2}));
  d.insert("model.0.conv.bias", torch::zeros({2}));
  const auto bytes = torch::pickle_save(c10::IValue(d));
  std::ofstream(dir / "w.pt", std::ios::binary).write(bytes.data(), bytes.size());
  const TensorMap m = load_weights_file(dir / "w.pt");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(torch::equal(m.at("model.0.conv.weight"), torch::ones({2, 2})));
  save_checkpoint(sample(), dir / "c.qyolo");
  EXPECT_TRUE(load_weights_file(dir / "c.qyolo").count("model.0.conv.weight"));
}

}  // namespace
}  // namespace qyolo
