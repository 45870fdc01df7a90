// Tiny training runs that go wrong: diverging weights, a crash between results.csv and the
// checkpoint, resuming from odd places, Ctrl-C, plots that cannot be written, and setup errors.
// What must hold: the last good checkpoint survives, results.csv matches it, and the user is told
// what happened and how to go on.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/finite_check.h"
#include "qyolo/train/trainer.h"
#include "support/test_support.h"
#include "tiny_run.h"

namespace qyolo::train {
namespace {

namespace fs = std::filesystem;

// The message of the qyolo::Error that `run` throws ("" when it throws none).
template <class Run>
std::string error_of(Run&& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Epoch numbers of results.csv's rows.
std::vector<int> result_epochs(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<int> epochs;
  while (std::getline(in, line)) epochs.push_back(std::stoi(line.substr(0, line.find(','))));
  return epochs;
}

config::ExperimentConfig diverging(config::ExperimentConfig config, double lr0) {
  config.hyp.lr0 = lr0;
  config.hyp.warmup_epochs = 0;
  config.train.optimizer = "Adam";
  return config;
}

TEST(RunSafetyE2E, DivergedWeightsStopTheRunBeforeTheyOverwriteTheCheckpoint) {
  const auto root = test::temp_dir("run_safety");
  const auto yaml = tiny::dataset(root);
  const auto first = train(diverging(tiny::config(yaml, root / "runs", 1), 1e-3));
  const auto last = first.run_dir / "weights" / "last.qyolo";
  const std::string good = test::read_text(last);

  // Continued at lr0 = 10 the model blows up within the next epoch.
  auto config = diverging(tiny::config(yaml, root / "runs", 3), 10);
  TrainRunOptions resume;
  resume.resume = last;
  const std::string message = error_of([&] { train(config, resume); });
  EXPECT_NE(message.find("not finite"), std::string::npos) << message;
  EXPECT_NE(message.find("epoch 1"), std::string::npos) << message;
  EXPECT_NE(message.find("resume with qyolo train --resume " + last.string()), std::string::npos)
      << message;
  EXPECT_EQ(test::read_text(last), good) << "the last good checkpoint was overwritten";
  EXPECT_EQ(result_epochs(first.run_dir / "results.csv"), std::vector<int>{0});
}

// A BN running variance that is NaN leaves the training loss finite (training normalises with
// batch statistics) and without validation before the last epoch nothing else would look at it:
// the check after each epoch must.
TEST(RunSafetyE2E, NonFiniteWeightsAfterAnEpochAreNotSaved) {
  const auto root = test::temp_dir("run_safety");
  const auto yaml = tiny::dataset(root);
  auto weights = load_checkpoint(train(tiny::config(yaml, root / "runs", 1)).run_dir / "weights" /
                                 "last.qyolo")
                     .weights();
  const std::string poisoned = "model.2.cv1.bn.running_var";
  ASSERT_TRUE(weights.count(poisoned));
  weights[poisoned].fill_(std::numeric_limits<float>::quiet_NaN());
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, value] : weights) dict.insert(name, value);
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream(root / "nan.pt", std::ios::binary).write(bytes.data(), bytes.size());

  auto config = tiny::config(yaml, root / "runs", 2);
  config.train.name = "from_nan";
  config.train.weights = (root / "nan.pt").string();
  config.train.val = false;
  const std::string message = error_of([&] { train(config); });
  EXPECT_NE(message.find("after epoch 0 the model weights are not finite: 1 of"), std::string::npos)
      << message;
  EXPECT_NE(message.find(poisoned), std::string::npos) << message;
  EXPECT_NE(message.find("nothing to resume"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(root / "runs/from_nan/weights/last.qyolo"));
}

TEST(RunSafetyE2E, AFreshRunThatDivergesWritesNoCheckpoint) {
  const auto root = test::temp_dir("run_safety");
  const auto config = diverging(tiny::config(tiny::dataset(root), root / "runs", 2), 10);
  const std::string message = error_of([&] { train(config); });
  EXPECT_NE(message.find("not finite"), std::string::npos) << message;
  EXPECT_NE(message.find("epoch 0"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing to resume"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(root / "runs/exp/weights/last.qyolo"));
  EXPECT_FALSE(fs::exists(root / "runs/exp/weights/best.qyolo"));
}

// kill -9 after results.csv got epoch 1's row but before last.qyolo of epoch 1 was renamed into
// place: the row is there, the checkpoint is still epoch 0's, and its temp file is left over.
TEST(RunSafetyE2E, ResumeAfterACrashBetweenRowAndCheckpointKeepsOneRowPerEpoch) {
  const auto root = test::temp_dir("run_safety");
  const auto yaml = tiny::dataset(root);
  const auto first = train(tiny::config(yaml, root / "runs", 1));
  const auto csv = first.run_dir / "results.csv";
  const auto weights = first.run_dir / "weights";
  std::string text = test::read_text(csv);
  const std::string row0 = text.substr(text.find('\n') + 1);
  std::ofstream(csv, std::ios::app) << "1" << row0.substr(row0.find(','));
  const auto stale = weights / ".last.qyolo.tmp999999999";
  fs::copy_file(weights / "last.qyolo", stale);

  TrainRunOptions resume;
  resume.resume = weights / "last.qyolo";
  const auto resumed = train(tiny::config(yaml, root / "runs", 2), resume);
  EXPECT_EQ(resumed.epochs_completed, 2);
  EXPECT_EQ(result_epochs(csv), (std::vector<int>{0, 1}));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_EQ(load_checkpoint(weights / "last.qyolo").epoch, 1);
}

TEST(RunSafetyE2E, ResumingACheckpointOutsideARunStartsANewRunFolder) {
  const auto root = test::temp_dir("run_safety");
  const auto yaml = tiny::dataset(root);
  const auto first = train(tiny::config(yaml, root / "runs", 1));
  const auto elsewhere = root / "downloads" / "last.qyolo";
  fs::create_directories(elsewhere.parent_path());
  fs::copy_file(first.run_dir / "weights" / "last.qyolo", elsewhere);

  TrainRunOptions resume;
  resume.resume = elsewhere;
  const auto resumed = train(tiny::config(yaml, root / "runs", 2), resume);
  EXPECT_EQ(resumed.run_dir, root / "runs" / "exp2");
  EXPECT_EQ(resumed.epochs_completed, 2);
  EXPECT_EQ(load_checkpoint(resumed.run_dir / "weights" / "last.qyolo").epoch, 1);
  EXPECT_EQ(result_epochs(resumed.run_dir / "results.csv"), std::vector<int>{1});
  EXPECT_TRUE(fs::exists(resumed.run_dir / "config.yaml"));
  EXPECT_EQ(
      std::distance(fs::directory_iterator(elsewhere.parent_path()), fs::directory_iterator()), 1);
}

TEST(RunSafetyE2E, ResumingAFinishedRunSaysItIsFinished) {
  const auto root = test::temp_dir("run_safety");
  const auto yaml = tiny::dataset(root);
  const auto done = train(tiny::config(yaml, root / "runs", 1));
  const auto last = done.run_dir / "weights" / "last.qyolo";
  const auto metrics = load_checkpoint(last).metrics;
  TrainRunOptions resume;
  resume.resume = last;
  try {
    train(tiny::config(yaml, root / "runs", 1), resume);
    FAIL() << "resuming a finished run should be refused";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("training to 1 epochs is finished"), std::string::npos) << message;
    EXPECT_NE(message.find("nothing to resume"), std::string::npos) << message;
    EXPECT_NE(
        message.find(fmt::format("best fitness {:.4f} at epoch 0", metrics.at("best_fitness"))),
        std::string::npos)
        << message;
  }
}

TEST(RunSafetyE2E, SigintStopsBetweenBatchesAndSaysHowToResume) {
  const auto root = test::temp_dir("run_safety");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 100);
  const auto last = root / "runs/exp/weights/last.qyolo";
  std::thread interrupter([&] {
    while (!fs::exists(last)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(getpid(), SIGINT);
  });
  const auto summary = train(config);
  interrupter.join();
  EXPECT_EQ(summary.interrupted_by, SIGINT);
  EXPECT_GE(summary.epochs_completed, 1);
  EXPECT_LT(summary.epochs_completed, 100);
  const auto ckpt = load_checkpoint(last);
  EXPECT_TRUE(all_finite(ckpt.model));
  spdlog::default_logger()->flush();
  const std::string log = test::read_text(summary.run_dir / "train.log");
  EXPECT_NE(log.find("Interrupted by SIGINT"), std::string::npos) << log;
  EXPECT_NE(log.find("resume with qyolo train --resume " + last.string()), std::string::npos)
      << log;
  // The process's own SIGINT handling is back: a later run is not interrupted by this one.
  EXPECT_EQ(std::signal(SIGINT, SIG_DFL), SIG_DFL);
}

// A plot is not worth a run: results.png cannot be written (a folder is in its place), the run
// goes on and says so in train.log.
TEST(RunSafetyE2E, APlotThatCannotBeWrittenIsAWarning) {
  const auto root = test::temp_dir("run_safety");
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.train.exist_ok = true;
  fs::create_directories(root / "runs/exp/results.png");
  const auto summary = train(config);
  EXPECT_EQ(summary.epochs_completed, 1);
  EXPECT_TRUE(fs::exists(summary.run_dir / "weights/last.qyolo"));
  spdlog::default_logger()->flush();
  const std::string log = test::read_text(summary.run_dir / "train.log");
  EXPECT_NE(log.find("results.png not written"), std::string::npos) << log;
}

TEST(RunSafetyE2E, SetupErrorsLeaveNoRunFolder) {
  const auto root = test::temp_dir("run_safety");
  // A missing data yaml.
  EXPECT_THROW(train(tiny::config(root / "missing.yaml", root / "runs", 1)), Error);
  EXPECT_FALSE(fs::exists(root / "runs/exp"));
  // A data yaml whose training folder holds no images (found while scanning).
  fs::create_directories(root / "empty/images/train");
  fs::create_directories(root / "empty/images/val");
  std::ofstream(root / "empty/data.yaml")
      << "path: " << (root / "empty").string() << "\ntrain: images/train\nval: images/val\n"
      << "names: {0: a}\n";
  EXPECT_THROW(train(tiny::config(root / "empty/data.yaml", root / "runs", 1)), Error);
  EXPECT_FALSE(fs::exists(root / "runs/exp"));
  // A model that cannot be built.
  auto config = tiny::config(tiny::dataset(root), root / "runs", 1);
  config.model = (root / "missing_model.yaml").string();
  EXPECT_THROW(train(config), Error);
  EXPECT_FALSE(fs::exists(root / "runs/exp"));
}

}  // namespace
}  // namespace qyolo::train
