#include "qyolo/core/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo::config {
namespace {

std::filesystem::path write(const std::filesystem::path& dir, const std::string& name,
                            const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "no UsageError thrown";
  return "";
}

TEST(Config, LoadsValuesAndHypFile) {
  const auto dir = test::temp_dir("config");
  write(dir, "m.yaml", "");
  write(dir, "hyp.yaml", "lr0: 0.002\nmosaic: 0.5\n");
  const auto cfg_path =
      write(dir, "exp.yaml",
            "model: m.yaml\ndata: d.yaml\nhyp: hyp.yaml\n"
            "train:\n  epochs: 7\n  optimizer: Adam\n"
            "quant:\n  enabled: true\n  weight_bits: 3\n"
            "  groups:\n    - {name: backbone, layers: 0-9, weight_kind: binary}\n"
            "  stages:\n    - {name: s1, groups: [backbone], epochs: 2}\n");
  const ExperimentConfig cfg = load_experiment(cfg_path);
  EXPECT_EQ(cfg.model, "m.yaml");
  EXPECT_EQ(cfg.train.epochs, 7);
  EXPECT_EQ(cfg.train.optimizer, "Adam");
  EXPECT_DOUBLE_EQ(cfg.hyp.lr0, 0.002);
  EXPECT_DOUBLE_EQ(cfg.hyp.mosaic, 0.5);
  EXPECT_DOUBLE_EQ(cfg.hyp.momentum, 0.937);  // default kept
  EXPECT_TRUE(cfg.quant.enabled);
  EXPECT_EQ(cfg.quant.weight_bits, 3);
  ASSERT_EQ(cfg.quant.groups.size(), 1u);
  EXPECT_EQ(cfg.quant.groups[0].weight_kind, "binary");
  ASSERT_EQ(cfg.quant.stages.size(), 1u);
  EXPECT_EQ(cfg.quant.stages[0].groups, std::vector<std::string>{"backbone"});
  EXPECT_EQ(cfg.quant.stages[0].epochs, 2);
}

TEST(Config, OverridesApplyAndResolvedYamlRoundTrips) {
  const auto dir = test::temp_dir("config");
  write(dir, "m.yaml", "");
  const auto path = write(dir, "exp.yaml", "model: m.yaml\ntrain: {epochs: 3}\n");
  const auto cfg = load_experiment(path, {"train.epochs=11", "hyp.lr0=1e-4", "quant.enabled=true"});
  EXPECT_EQ(cfg.train.epochs, 11);
  EXPECT_DOUBLE_EQ(cfg.hyp.lr0, 1e-4);
  EXPECT_TRUE(cfg.quant.enabled);
  const auto again = load_experiment(write(dir, "resolved.yaml", to_yaml(cfg)));
  EXPECT_EQ(to_yaml(again), to_yaml(cfg));
  EXPECT_DOUBLE_EQ(again.hyp.lr0, 1e-4);
}

TEST(Config, UnknownKeyNamesFileLineAndSuggestion) {
  const auto dir = test::temp_dir("config");
  const auto path = write(dir, "exp.yaml", "model: m.yaml\ntrain:\n  epoch: 3\n");
  const std::string msg = error_of([&] { load_experiment(path); });
  EXPECT_NE(msg.find("exp.yaml:3:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.epoch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Did you mean 'train.epochs'"), std::string::npos) << msg;
}

TEST(Config, WrongTypeAndRangeSayWhatIsAllowed) {
  const auto dir = test::temp_dir("config");
  const auto p1 = write(dir, "a.yaml", "train:\n  batch: many\n");
  std::string msg = error_of([&] { load_experiment(p1); });
  EXPECT_NE(msg.find("a.yaml:2:10"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'many'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("an integer in [1, 65536]"), std::string::npos) << msg;

  const auto p2 = write(dir, "b.yaml", "eval:\n  iou: 1.5\n");
  msg = error_of([&] { load_experiment(p2); });
  EXPECT_NE(msg.find("a number in [0.0, 1.0]"), std::string::npos) << msg;

  const auto p3 = write(dir, "c.yaml", "train:\n  optimizer: LBFGS\n");
  msg = error_of([&] { load_experiment(p3); });
  EXPECT_NE(msg.find("one of SGD, Adam, AdamW"), std::string::npos) << msg;
}

TEST(Config, BadOverrideIsBlamedOnTheFlag) {
  const auto dir = test::temp_dir("config");
  const auto path = write(dir, "exp.yaml", "train: {epochs: 3}\n");
  const std::string msg = error_of([&] { load_experiment(path, {"train.epochs=-4"}); });
  EXPECT_NE(msg.find("--set train.epochs=-4"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { load_experiment(path, {"nonsense"}); }).find("section.key=value"),
            std::string::npos);
}

TEST(Config, InvalidYamlReportsLine) {
  const auto dir = test::temp_dir("config");
  const auto path = write(dir, "bad.yaml", "train:\n  epochs: [1, 2\n");
  const std::string msg = error_of([&] { load_experiment(path); });
  EXPECT_NE(msg.find("bad.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
}

TEST(Config, MissingFileIsAUsageError) {
  const std::string msg = error_of([] { load_experiment("/nonexistent/x.yaml"); });
  EXPECT_NE(msg.find("/nonexistent/x.yaml"), std::string::npos);
}

TEST(Config, DirectoryIsNotAConfigFile) {
  const auto dir = test::temp_dir("config");
  const std::string msg = error_of([&] { load_experiment(dir); });
  EXPECT_NE(msg.find(dir.string() + "' is a directory"), std::string::npos) << msg;
}

// An empty value used to fall back to the built-in default without a word (100 epochs where the
// file said `epochs:` meaning to fill it in).
TEST(Config, EmptyValueIsATypeErrorNamingKeyAndLine) {
  const auto dir = test::temp_dir("config");
  const auto path = write(dir, "exp.yaml", "train:\n  epochs:\n  batch: 4\n");
  std::string msg = error_of([&] { load_experiment(path); });
  EXPECT_NE(msg.find("exp.yaml:2:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'train.epochs' got an empty value"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected an integer in [1, 100000]"), std::string::npos) << msg;

  const auto flag = write(dir, "flag.yaml", "train: {epochs: 30}\n");
  msg = error_of([&] { load_experiment(flag, {"train.epochs="}); });
  EXPECT_NE(msg.find("--set train.epochs="), std::string::npos) << msg;
  EXPECT_NE(msg.find("an empty value"), std::string::npos) << msg;
  msg = error_of([&] { load_experiment(flag, {"train.optimizer="}); });
  EXPECT_NE(msg.find("one of SGD, Adam, AdamW"), std::string::npos) << msg;
  msg = error_of([&] { load_experiment(flag, {"train="}); });
  EXPECT_NE(msg.find("section 'train'"), std::string::npos) << msg;

  msg = error_of([&] { load_experiment(write(dir, "null.yaml", "quant:\n  enabled: ~\n")); });
  EXPECT_NE(msg.find("null.yaml:2:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("true or false"), std::string::npos) << msg;

  // A section with no keys is the section's defaults, as `train: {}` is.
  EXPECT_EQ(load_experiment(write(dir, "section.yaml", "train:\neval:\n")).train.epochs, 100);
}

TEST(Config, MissingModelYamlNamesConfigLineAndPathsTried) {
  const auto dir = test::temp_dir("config");
  const auto path = write(dir, "exp.yaml", "data: d.yaml\nmodel: models/nothere.yaml\n");
  const std::string msg = error_of([&] { load_experiment(path); });
  EXPECT_NE(msg.find("exp.yaml:2:8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'model' names 'models/nothere.yaml'"), std::string::npos) << msg;
  EXPECT_NE(msg.find((dir / "models/nothere.yaml").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find((configs_dir() / "models/nothere.yaml").string()), std::string::npos) << msg;
  const std::string hyp =
      error_of([&] { load_experiment(write(dir, "h.yaml", "hyp: hyps/nothere.yaml\n")); });
  EXPECT_NE(hyp.find("h.yaml:1:6"), std::string::npos) << hyp;
}

}  // namespace
}  // namespace qyolo::config

namespace qyolo::config {
namespace {

// Every experiment config we ship must load and validate.
TEST(Config, ShippedExperimentConfigsLoad) {
  int loaded = 0;
  for (const char* sub : {"", "fashiondet", "mpq"}) {
    for (const auto& e :
         std::filesystem::directory_iterator(test::source_dir() / "configs" / sub)) {
      if (e.path().extension() != ".yaml") continue;
      SCOPED_TRACE(e.path().string());
      const ExperimentConfig cfg = load_experiment(e.path());
      EXPECT_FALSE(cfg.model.empty());
      EXPECT_FALSE(cfg.data.empty());
      if (cfg.quant.enabled && cfg.quant.stages.empty()) EXPECT_GE(cfg.quant.weight_bits, 3);
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 18);
}

TEST(Config, HypFilesLoad) {
  const Hyp low = load_hyp(configs_dir() / "hyps/hyp.scratch-low.yaml");
  EXPECT_DOUBLE_EQ(low.lrf, 0.01);
  const Hyp high = load_hyp(configs_dir() / "hyps/hyp.scratch-high.yaml");
  EXPECT_DOUBLE_EQ(high.mixup, 0.1);
  EXPECT_DOUBLE_EQ(load_hyp(configs_dir() / "hyps/hyp.qat.yaml").lr0, 1e-4);
}

}  // namespace
}  // namespace qyolo::config
