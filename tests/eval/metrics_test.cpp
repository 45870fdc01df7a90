#include <gtest/gtest.h>

#include "qyolo/eval/ap_per_class.h"
#include "qyolo/eval/confusion_matrix.h"
#include "qyolo/eval/matching.h"
#include "support/test_support.h"

namespace qyolo::eval {
namespace {

c10::impl::GenericDict metrics_fixture() {
  return test::load_pickle(test::fixtures_dir() / "metrics.pt").toGenericDict();
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

TEST(Matching, ProcessBatchEqualsReference) {
  auto d = metrics_fixture();
  auto iouv = default_iou_thresholds();
  EXPECT_TRUE(torch::equal(iouv, d.at("iouv").toTensor()));
  for (const auto& image : d.at("images").toListRef()) {
    auto im = image.toGenericDict();
    auto dets = im.at("dets").toTensor();
    auto labels = im.at("labels").toTensor();
    auto expected = im.at("correct").toTensor();
    auto correct = process_batch(dets, labels, iouv);
    ASSERT_EQ(correct.sizes(), expected.sizes()) << "image " << im.at("id").toInt();
    EXPECT_TRUE(torch::equal(correct, expected)) << "image " << im.at("id").toInt();
  }
}

TEST(Matching, LabelKeepsHighestConfidenceDetection) {
  // Two detections of one label: the first (higher conf) wins even with lower IoU.
  auto labels = torch::tensor({{0.0, 0.0, 0.0, 10.0, 10.0}});
  auto dets = torch::tensor({{0.0, 0.0, 10.0, 8.0, 0.9, 0.0}, {0.0, 0.0, 10.0, 10.0, 0.8, 0.0}});
  auto correct = process_batch(dets, labels, torch::tensor({0.5f, 0.85f}));
  EXPECT_TRUE(torch::equal(correct, torch::tensor({{true, false}, {false, true}})));
}

TEST(ApPerClass, EqualsReference) {
  auto d = metrics_fixture();
  auto stats = d.at("stats").toGenericDict();
  auto result = ap_per_class(stats.at("correct").toTensor(), stats.at("conf").toTensor(),
                             stats.at("pred_cls").toTensor(), stats.at("target_cls").toTensor());
  auto ref = d.at("ap_per_class").toGenericDict();
  EXPECT_LE(max_abs(result.tp, ref.at("tp").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.fp, ref.at("fp").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.precision, ref.at("p").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.recall, ref.at("r").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.f1, ref.at("f1").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.ap, ref.at("ap").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.ap50(), ref.at("ap50").toTensor()), 1e-6);
  EXPECT_LE(max_abs(result.ap50_95(), ref.at("ap50_95").toTensor()), 1e-6);
  EXPECT_TRUE(torch::equal(result.classes, ref.at("ap_class").toTensor()));

  auto summary_ref = d.at("summary").toGenericDict();
  auto summary = summarize(result, stats.at("target_cls").toTensor(), 5);
  EXPECT_NEAR(summary.mp, summary_ref.at("mp").toDouble(), 1e-6);
  EXPECT_NEAR(summary.mr, summary_ref.at("mr").toDouble(), 1e-6);
  EXPECT_NEAR(summary.map50, summary_ref.at("map50").toDouble(), 1e-6);
  EXPECT_NEAR(summary.map50_95, summary_ref.at("map50_95").toDouble(), 1e-6);
  auto nt = summary_ref.at("nt_per_class").toList();
  ASSERT_EQ(nt.size(), summary.labels_per_class.size());
  for (size_t c = 0; c < nt.size(); ++c) {
    EXPECT_EQ(summary.labels_per_class[c], nt.get(c).toInt());
  }
}

TEST(ApPerClass, NumpyInterpAndLinspace) {
  const std::vector<double> xp{0.0, 0.5, 0.5, 1.0}, fp{1.0, 0.8, 0.4, 0.0};
  EXPECT_DOUBLE_EQ(interp(0.5, xp, fp, 9, 9), 0.4);  // duplicates: the last one
  EXPECT_DOUBLE_EQ(interp(0.25, xp, fp, 9, 9), 0.9);
  EXPECT_DOUBLE_EQ(interp(-1, xp, fp, 9, 7), 9);
  EXPECT_DOUBLE_EQ(interp(2, xp, fp, 9, 7), 7);
  auto grid = linspace(0.5, 0.95, 10);
  EXPECT_EQ(grid[5], 0.75);
  EXPECT_EQ(grid[9], 0.95);
}

TEST(ConfusionMatrix, CountsMatchesMissesAndFalseDetections) {
  ConfusionMatrix cm(2);
  auto labels = torch::tensor(
      {{0.0, 0.0, 0.0, 10.0, 10.0}, {1.0, 20.0, 20.0, 30.0, 30.0}, {1.0, 50.0, 50.0, 60.0, 60.0}});
  auto dets = torch::tensor({{0.0, 0.0, 10.0, 10.0, 0.9, 0.0},    // correct class 0
                             {20.0, 20.0, 30.0, 31.0, 0.8, 0.0},  // class 1 taken for 0
                             {80.0, 80.0, 90.0, 90.0, 0.7, 1.0},  // false detection
                             {0.0, 0.0, 10.0, 10.0, 0.1, 1.0}});  // below conf
  cm.process_batch(dets, labels);
  cm.process_batch(std::nullopt, torch::tensor({{1.0, 0.0, 0.0, 5.0, 5.0}}));
  auto m = cm.matrix();
  EXPECT_EQ(m[0][0].item<double>(), 1);
  EXPECT_EQ(m[0][1].item<double>(), 1);
  EXPECT_EQ(m[2][1].item<double>(), 2);  // one missed in each call
  EXPECT_EQ(m[1][2].item<double>(), 1);
  EXPECT_EQ(m.sum().item<double>(), 5);
  auto [tp, fp] = cm.tp_fp();
  EXPECT_TRUE(torch::equal(tp, torch::tensor({1.0, 0.0}, torch::kDouble)));
  EXPECT_TRUE(torch::equal(fp, torch::tensor({1.0, 1.0}, torch::kDouble)));
  EXPECT_NEAR(cm.normalized()[2][1].item<double>(), 2.0 / 3.0, 1e-9);
}

// Labels of a data set with more classes than the model once wrote past the matrix (heap
// corruption in `qyolo eval` / `qyolo correct`); now they are refused before anything is counted.
TEST(ConfusionMatrix, RefusesClassesTheModelDoesNotHave) {
  ConfusionMatrix cm(3);
  const auto labels = torch::tensor({{0.0, 0.0, 0.0, 10.0, 10.0}, {7.0, 20.0, 20.0, 30.0, 30.0}});
  EXPECT_THROW(cm.process_batch(std::nullopt, labels), c10::Error);
  const auto dets = torch::tensor({{0.0, 0.0, 10.0, 10.0, 0.9, 0.0}});
  EXPECT_THROW(cm.process_batch(dets, labels), c10::Error);
  const auto ok_labels = torch::tensor({{0.0, 0.0, 0.0, 10.0, 10.0}});
  const auto bad_dets = torch::tensor({{0.0, 0.0, 10.0, 10.0, 0.9, 3.0}});
  EXPECT_THROW(cm.process_batch(bad_dets, ok_labels), c10::Error);
  EXPECT_THROW(cm.process_batch(std::nullopt, torch::tensor({{-1.0, 0.0, 0.0, 5.0, 5.0}})),
               c10::Error);
  EXPECT_EQ(cm.matrix().sum().item<double>(), 0);
}

TEST(Summarize, RefusesLabelClassesBeyondTheClassCount) {
  const auto tp = torch::ones({1, 10}, torch::kBool);
  const auto conf = torch::tensor({0.9});
  const auto pred_cls = torch::tensor({1.0});
  const auto target_cls = torch::tensor({1.0, 4.0});
  const auto ap = ap_per_class(tp, conf, pred_cls, target_cls);
  EXPECT_THROW(summarize(ap, target_cls, 3), c10::Error);
  EXPECT_EQ(summarize(ap, target_cls, 5).labels_per_class, (std::vector<int64_t>{0, 1, 0, 0, 1}));
}

}  // namespace
}  // namespace qyolo::eval
