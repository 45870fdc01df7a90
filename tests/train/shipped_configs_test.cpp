// Every experiment config shipped in configs/ loads as `qyolo train` loads it, so a config that
// names a missing file or an unknown key cannot ship.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "qyolo/core/config.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/quant/model_factory.h"
#include "qyolo/train/stage_plan.h"
#include "support/test_support.h"

namespace qyolo::train {
namespace {

namespace fs = std::filesystem;

bool is_experiment_config(const fs::path& path) {
  if (path.extension() != ".yaml") return false;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line))
    if (line.rfind("model:", 0) == 0) return true;
  return false;
}

TEST(ShippedConfigs, EveryExperimentConfigLoadsWithItsDataModelAndStages) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() / "configs")) {
    if (!is_experiment_config(entry.path())) continue;
    SCOPED_TRACE(entry.path().string());
    try {
      const auto config = config::load_experiment(entry.path());
      // The data yaml must exist and parse; its images need not be on this machine.
      const auto data =
          data::load_data_yaml(config::resolve_path(config.data, config.source.parent_path()));
      const int64_t nc = config.nc > 0 ? config.nc : data.nc;
      EXPECT_GT(nc, 0);
      for (const auto& stage : plan_stages(config)) {
        const auto model = quant::build_model(config, nc, stage.index);
        EXPECT_EQ(model->nc(), nc);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
    ++checked;
  }
  EXPECT_GE(checked, 24);  // the COCO and FashionDet recipes and the MPQ configs
}

}  // namespace
}  // namespace qyolo::train
