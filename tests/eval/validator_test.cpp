#include "qyolo/eval/validator.h"

#include <gtest/gtest.h>

#include "qyolo/data/create_loader.h"
#include "qyolo/data/data_yaml.h"
#include "support/test_support.h"
#include "tiny_fashiondet.h"

namespace qyolo::eval {
namespace {

TEST(Validator, ScoresAModelOnFashionDetVal) {
  const auto dir = test::temp_dir("validator");
  const auto d = data::load_data_yaml(testing::tiny_fashiondet(dir, 2, 6, 160));
  auto scan = data::scan_split(d, "val");
  int64_t instances = 0;
  for (const auto& im : scan.images) instances += static_cast<int64_t>(im.labels.size());
  auto loader = data::make_val_loader(scan.images, 160, 4, 1, data::MaskFormat::kNone);

  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs/models/yolov5n.yaml", 10);
  const auto r = validate(*model, *loader, 10, ValidationOptions().save_json(true).progress(false));
  EXPECT_EQ(r.images, 6);
  EXPECT_EQ(r.labels, instances);
  EXPECT_GE(r.box.summary.map50, 0.0);
  EXPECT_LE(r.box.summary.map50, 1.0);
  EXPECT_GE(r.box.summary.map50, r.box.summary.map50_95);
  ASSERT_TRUE(r.predictions.is_array());
  EXPECT_GT(r.predictions.size(), 0u);
  const auto& p = r.predictions.front();
  EXPECT_TRUE(p.contains("image_id") && p.contains("bbox") && p.contains("score"));
  EXPECT_EQ(p["bbox"].size(), 4u);
  ASSERT_TRUE(r.first_batch.has_value());
  EXPECT_EQ(r.first_predictions.size(), 4u);
  const std::string table = r.table(d.names);
  EXPECT_NE(table.find("mAP50-95"), std::string::npos);
  EXPECT_NE(table.find("all"), std::string::npos);
}

TEST(Validator, CocoImageIdsFollowValPy) {
  EXPECT_EQ(coco_image_id("/x/000000000139.jpg"), nlohmann::json(139));
  EXPECT_EQ(coco_image_id("/x/img_7.jpg"), nlohmann::json("img_7"));
  EXPECT_EQ(coco_image_id("/x/caf\xc3\xa9.jpg"), nlohmann::json("caf\xc3\xa9"));  // UTF-8 kept
  // A Latin-1 name: written so that the predictions json can be dumped.
  const nlohmann::json latin1 = coco_image_id("/x/caf\xe9_1.jpg");
  EXPECT_EQ(latin1, nlohmann::json("caf\\xe9_1"));
  EXPECT_NO_THROW(nlohmann::json::array({{{"image_id", latin1}}}).dump());
}

}  // namespace
}  // namespace qyolo::eval
