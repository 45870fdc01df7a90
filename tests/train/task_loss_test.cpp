#include "qyolo/train/task_loss.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qyolo::train {
namespace {

struct GainCase {
  int64_t nc, nl, imgsz;
  double box, cls, obj;  // the factors train.py applies
};

TEST(LossGains, ScaleAsTrainPyDoes) {
  config::Hyp hyp;
  hyp.box = 0.05;
  hyp.cls = 0.5;
  hyp.obj = 1.0;
  hyp.cls_pw = 1.5;
  const std::vector<GainCase> cases = {
      {80, 3, 640, 1.0, 1.0, 1.0},                          // COCO: unchanged
      {10, 3, 320, 1.0, 10.0 / 80.0, 0.25},                 // FashionDet at 320 px
      {20, 3, 512, 1.0, 0.25, 0.64},                        // VOC at 512 px
      {80, 4, 1280, 0.75, 0.75, 4.0 * 0.75},                // a P6 model at 1280 px
      {1, 2, 256, 1.5, 1.0 / 80.0 * 1.5, 0.4 * 0.4 * 1.5},  // two output layers
  };
  for (const auto& c : cases) {
    const auto scaled = scale_loss_gains(hyp, c.nc, c.nl, c.imgsz);
    SCOPED_TRACE("nc " + std::to_string(c.nc) + " nl " + std::to_string(c.nl) + " imgsz " +
                 std::to_string(c.imgsz));
    EXPECT_DOUBLE_EQ(scaled.box, 0.05 * c.box);
    EXPECT_DOUBLE_EQ(scaled.cls, 0.5 * c.cls);
    EXPECT_DOUBLE_EQ(scaled.obj, 1.0 * c.obj);
    EXPECT_DOUBLE_EQ(scaled.cls_pw, 1.5);  // only the three gains move
  }
}

TEST(LossGains, TaskLossUsesTheScaledGains) {
  // yolov5n with 10 classes at 320 px: the objectness and class terms of the same prediction
  // carry obj ×0.25 and cls ×0.125 against the same model's loss at COCO's size and class count.
  torch::manual_seed(0);
  nn::Model model(test::model_yaml("yolov5n"), 10);
  model->train();
  const auto images = torch::rand({2, 3, 320, 320});
  const auto targets =
      torch::tensor({{0.0, 3.0, 0.5, 0.5, 0.2, 0.3}, {1.0, 7.0, 0.3, 0.6, 0.1, 0.1}});
  const auto output = model->forward(images);
  config::Hyp hyp;
  const auto at320 = TaskLoss(*model, hyp, 320)(output, images, targets).items;
  const auto at640 = TaskLoss(*model, hyp, 640)(output, images, targets).items;
  EXPECT_NEAR(at320[0].item<double>(), at640[0].item<double>(), 1e-7);         // box
  EXPECT_NEAR(at320[1].item<double>(), 0.25 * at640[1].item<double>(), 1e-7);  // obj
  EXPECT_NEAR(at320[2].item<double>(), at640[2].item<double>(), 1e-7);         // cls: same nc
}

}  // namespace
}  // namespace qyolo::train
