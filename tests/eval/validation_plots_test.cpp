#include "qyolo/eval/validation_plots.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::eval {
namespace {

ValidationResult two_image_result() {
  ValidationResult result;
  data::Batch batch;
  batch.images = torch::full({2, 3, 64, 128}, 90, torch::kUInt8);
  batch.targets = torch::tensor({{1.0f, 2.0f, 0.5f, 0.5f, 0.25f, 0.5f}});
  batch.paths = {"a.jpg", "b.jpg"};
  result.first_batch = batch;
  // x1, y1, x2, y2, conf, cls in input pixels; nothing found in the second image.
  result.first_predictions = {torch::tensor({{16.0f, 8.0f, 48.0f, 40.0f, 0.9f, 3.0f},
                                             {0.0f, 0.0f, 128.0f, 64.0f, 0.1f, 1.0f}}),
                              torch::zeros({0, 6})};
  return result;
}

TEST(ValidationPlots, PredictionsBecomeNormalisedTargetsWithConfidence) {
  const auto batch = prediction_batch(two_image_result());
  ASSERT_EQ(batch.targets.sizes(), (std::vector<int64_t>{2, 7}));
  const auto expected = torch::tensor(
      {{0.0f, 3.0f, 0.25f, 0.375f, 0.25f, 0.5f, 0.9f}, {0.0f, 1.0f, 0.5f, 0.5f, 1.0f, 1.0f, 0.1f}});
  EXPECT_TRUE(torch::allclose(batch.targets, expected)) << batch.targets;
  EXPECT_FALSE(batch.masks.defined());
  EXPECT_EQ(batch.paths.size(), 2u);
}

TEST(ValidationPlots, WritesLabelAndPredictionPictures) {
  const auto dir = test::temp_dir("validation_plots");
  save_validation_plots(two_image_result(), {"a", "b", "c", "d"}, dir);
  for (const char* file : {"val_batch0_labels.jpg", "val_batch0_pred.jpg"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
    EXPECT_GT(std::filesystem::file_size(dir / file), 500u) << file;
  }
}

}  // namespace
}  // namespace qyolo::eval
