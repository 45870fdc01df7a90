// The data `qyolo eval` scores on, and which COCO annotations belong to it.
#include "qyolo/eval/eval_split.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qyolo/core/error.h"
#include "support/test_support.h"
#include "tiny_fashiondet.h"

namespace qyolo::eval {
namespace {

namespace fs = std::filesystem;

// A FashionDet with 12 train and 4 val images; both splits have images 000001.jpg ... so a val
// split scored against the other split's annotations would find some of its file names there.
class EvalSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("eval_split");
    testing::tiny_fashiondet(dir_, 12, 4, 64);
  }

  // A data yaml over that FashionDet with `val` as its val source.
  fs::path data_yaml(const std::string& val) const {
    std::ofstream(dir_ / "d.yaml") << "path: fd\ntrain: images/train\nval: " << val
                                   << "\nnc: 10\nnames: [a, b, c, d, e, f, g, h, i, j]\n";
    return dir_ / "d.yaml";
  }

  fs::path dir_;
};

TEST_F(EvalSplitTest, ValSplitFindsItsOwnAnnotations) {
  const auto split = load_yaml_split(data_yaml("images/val"), EvalSplitOptions());
  EXPECT_EQ(split.images.size(), 4u);
  EXPECT_EQ(split.names.size(), 10u);
  ASSERT_TRUE(split.coco.has_value()) << split.coco_note;
  EXPECT_EQ(split.coco->annotations, dir_ / "fd/annotations/instances_val.json");
  EXPECT_EQ(split.coco->image_ids, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(split.coco->category_ids, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// `val:` pointing at the train images used to be scored against instances_val.json (and failed
// after the table, without metrics.json): the split's own annotations are the ones named after
// its source.
TEST_F(EvalSplitTest, AnnotationsFollowTheValSource) {
  const auto yaml = data_yaml("images/train");
  auto split = load_yaml_split(yaml, EvalSplitOptions());
  EXPECT_EQ(split.images.size(), 12u);
  ASSERT_TRUE(split.coco.has_value()) << split.coco_note;
  EXPECT_EQ(split.coco->annotations, dir_ / "fd/annotations/instances_train.json");
  EXPECT_EQ(split.coco->image_ids.size(), 12u);

  // Without them COCO scoring is skipped, with a note naming the file looked for.
  fs::remove(dir_ / "fd/annotations/instances_train.json");
  split = load_yaml_split(yaml, EvalSplitOptions());
  EXPECT_FALSE(split.coco.has_value());
  EXPECT_NE(split.coco_note.find("instances_train.json"), std::string::npos) << split.coco_note;

  // Annotations of other images under the split's name are not taken for its ground truth.
  fs::copy_file(dir_ / "fd/annotations/instances_val.json",
                dir_ / "fd/annotations/instances_train.json");
  split = load_yaml_split(yaml, EvalSplitOptions());
  EXPECT_FALSE(split.coco.has_value());
  EXPECT_NE(split.coco_note.find("does not list 000005.jpg"), std::string::npos) << split.coco_note;
}

TEST_F(EvalSplitTest, AnnotationsWithOtherCategoriesAreNotUsed) {
  std::ofstream(dir_ / "fd/annotations/instances_val.json")
      << R"({"images": [], "annotations": [], "categories": [{"id": 1, "name": "x"}]})";
  const auto split = load_yaml_split(data_yaml("images/val"), EvalSplitOptions());
  EXPECT_FALSE(split.coco.has_value());
  EXPECT_NE(split.coco_note.find("1 categories, the data has 10 classes"), std::string::npos)
      << split.coco_note;
}

TEST_F(EvalSplitTest, ModelWithOtherClassCountIsRefusedBeforeScanning) {
  const auto yaml = data_yaml("images/val");
  try {
    load_yaml_split(yaml, EvalSplitOptions().model_nc(3).model("last.qyolo"));
    FAIL() << "a 3-class model was accepted for 10-class data";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("last.qyolo predicts 3 classes but " + yaml.string() + " has 10"),
              std::string::npos)
        << message;
  }
  EXPECT_FALSE(fs::exists(dir_ / "fd/labels/val.cache"));  // nothing was read
  EXPECT_NO_THROW(load_yaml_split(yaml, EvalSplitOptions().model_nc(10)));
}

}  // namespace
}  // namespace qyolo::eval
