// The names detections are labelled with: --data, else the data of the run the model comes from.
#include "qyolo/eval/class_names.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::eval {
namespace {

TEST(ClassNames, FromTheDataYamlElseTheExperimentsElseNone) {
  const auto dir = test::temp_dir("class_names");
  test::write_text(dir / "two.yaml", "path: .\ntrain: images\nval: images\nnames: [cat, dog]\n");
  EXPECT_EQ(class_names((dir / "two.yaml").string(), std::nullopt),
            (std::vector<std::string>{"cat", "dog"}));

  config::ExperimentConfig experiment;
  experiment.source = dir / "exp.yaml";
  experiment.data = "two.yaml";  // next to the experiment
  EXPECT_EQ(class_names("", experiment), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(class_names("data/fashiondet.yaml", experiment).size(), 10u);  // --data wins

  experiment.data = "missing.yaml";  // an experiment's data that is gone only costs the names
  EXPECT_TRUE(class_names("", experiment).empty());
  EXPECT_TRUE(class_names("", std::nullopt).empty());
}

}  // namespace
}  // namespace qyolo::eval
