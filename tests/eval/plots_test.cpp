#include "qyolo/eval/plots.h"

#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "qyolo/core/class_colors.h"
#include "qyolo/core/error.h"
#include "qyolo/data/plot_batch.h"
#include "qyolo/eval/matching.h"
#include "support/test_support.h"

namespace qyolo::eval {
namespace {

// A plot is a readable PNG of the expected size that is not blank.
void expect_plot(const std::filesystem::path& file) {
  cv::Mat image = cv::imread(file.string());
  ASSERT_FALSE(image.empty()) << file;
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  EXPECT_LT(cv::mean(grey)[0], 254.0) << file << " is blank";
  EXPECT_GT(cv::countNonZero(grey < 128), 100) << file;
}

TEST(Plots, ApCurvesAndConfusionMatrixFromFixtureCase) {
  auto d = test::load_pickle(test::fixtures_dir() / "metrics.pt").toGenericDict();
  auto stats = d.at("stats").toGenericDict();
  auto result = ap_per_class(stats.at("correct").toTensor(), stats.at("conf").toTensor(),
                             stats.at("pred_cls").toTensor(), stats.at("target_cls").toTensor());
  const std::vector<std::string> names{"shirt", "bag", "shoe", "coat", "dress"};
  const auto dir = test::temp_dir("eval_plots");
  plot_ap_curves(result, names, dir);
  for (const char* f : {"PR_curve.png", "F1_curve.png", "P_curve.png", "R_curve.png"}) {
    expect_plot(dir / f);
  }
  ConfusionMatrix cm(5);
  for (const auto& image : d.at("images").toListRef()) {
    auto im = image.toGenericDict();
    auto dets = im.at("dets").toTensor();
    cm.process_batch(dets.size(0) ? std::optional<torch::Tensor>(dets) : std::nullopt,
                     im.at("labels").toTensor());
  }
  EXPECT_GT(cm.matrix().sum().item<double>(), 0);
  plot_confusion_matrix(cm, names, dir / "confusion_matrix.png");
  expect_plot(dir / "confusion_matrix.png");
}

// A plot written when the disk is full (here: the file size limit) fails as a whole: the previous
// results.png stays intact instead of being cut off, and no temp file is left.
TEST(Plots, AFailedWriteKeepsThePreviousPlot) {
  const auto dir = test::temp_dir("eval_plot_write");
  std::ofstream(dir / "results.csv") << "epoch,train/box_loss\n0,0.1\n1,0.05\n";
  plot_results(dir / "results.csv", dir / "results.png");
  const std::string before = test::read_text(dir / "results.png");
  ASSERT_GT(before.size(), 4096u);
  std::ofstream(dir / "results.csv", std::ios::app) << "2,0.01\n";

  test::with_file_size_limit(
      4096, [&] { EXPECT_THROW(plot_results(dir / "results.csv", dir / "results.png"), Error); });

  EXPECT_EQ(test::read_text(dir / "results.png"), before);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    files += entry.is_regular_file();
  EXPECT_EQ(files, 2);  // results.csv and results.png
}

TEST(Plots, ResultsCsvGrid) {
  const auto dir = test::temp_dir("eval_results_plot");
  {
    std::ofstream csv(dir / "results.csv");
    csv << "               epoch,      train/box_loss,   metrics/mAP_0.5\n";
    for (int e = 0; e < 12; ++e) {
      csv << e << ", " << 0.1 / (e + 1) << ", " << 0.05 * e << "\n";
    }
  }
  plot_results(dir / "results.csv", dir / "results.png");
  expect_plot(dir / "results.png");
  {
    std::ofstream bad(dir / "bad.csv");
    bad << "epoch,loss\n0,abc\n";
  }
  EXPECT_THROW(plot_results(dir / "bad.csv", dir / "bad.png"), Error);
}

TEST(Plots, OscillationCsv) {
  const auto dir = test::temp_dir("eval_oscillation_plot");
  {
    std::ofstream csv(dir / "oscillation.csv");
    csv << "epoch,path,layer,oscillating_fraction,frozen,weights\n";
    for (int e = 0; e < 4; ++e)
      csv << e << ",model.1.conv,1," << 0.01 * e << ",0,100\n"
          << e << ",model.2.conv,2," << 0.02 * e << ",0,300\n";
  }
  plot_oscillation(dir / "oscillation.csv", dir / "oscillation.png");
  expect_plot(dir / "oscillation.png");
  {
    std::ofstream bad(dir / "bad.csv");
    bad << "epoch,path,layer,oscillating_fraction,frozen,weights\n0,model.1.conv,1,x,0,9\n";
  }
  try {
    plot_oscillation(dir / "bad.csv", dir / "bad.png");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("oscillating_fraction"), std::string::npos) << e.what();
  }
  {
    std::ofstream missing(dir / "missing.csv");
    missing << "epoch,path\n0,a\n";
  }
  EXPECT_THROW(plot_oscillation(dir / "missing.csv", dir / "missing.png"), Error);
}

TEST(Plots, LatentVsEma) {
  const auto dir = test::temp_dir("eval_latent_vs_ema_plot");
  {
    std::ofstream csv(dir / "results.csv");
    csv << "epoch,metrics/mAP_0.5,metrics/mAP_0.5:0.95,x/lr0,metrics/mAP_0.5(latent),"
           "metrics/mAP_0.5:0.95(latent)\n";
    for (int e = 0; e < 5; ++e)
      csv << e << "," << 0.5 + 0.02 * e << "," << 0.3 + 0.02 * e << ",0.001," << 0.48 + 0.02 * e
          << "," << 0.28 + 0.01 * e << "\n";
  }
  plot_latent_vs_ema(dir / "results.csv", dir / "latent_vs_ema.png");
  expect_plot(dir / "latent_vs_ema.png");
  cv::Mat image = cv::imread((dir / "latent_vs_ema.png").string());
  cv::Mat orange;
  cv::inRange(image, cv::Scalar(0, 110, 240), cv::Scalar(40, 145, 255), orange);
  EXPECT_GT(cv::countNonZero(orange), 100);  // the latent lines are drawn
  {
    std::ofstream without(dir / "plain.csv");
    without << "epoch,metrics/mAP_0.5,metrics/mAP_0.5:0.95\n0,0.5,0.3\n";
  }
  try {
    plot_latent_vs_ema(dir / "plain.csv", dir / "plain.png");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(latent)"), std::string::npos) << e.what();
  }
}

TEST(Plots, DrawDetectionsWithMasks) {
  cv::Mat image(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
  auto dets =
      torch::tensor({{10.0, 30.0, 70.0, 90.0, 0.91, 0.0}, {80.0, 20.0, 150.0, 110.0, 0.5, 3.0}});
  auto masks = torch::zeros({2, 120, 160}, torch::kUInt8);
  masks.index_put_({0, torch::indexing::Slice(40, 80), torch::indexing::Slice(20, 60)}, 1);
  draw_detections(image, dets, {"person", "bike", "car", "dog"}, masks);
  // Inside the first mask the class colour is blended in; the second box outline has its colour.
  const cv::Vec3b inside = image.at<cv::Vec3b>(60, 40);
  EXPECT_NEAR(inside[2], 0.5 * 40 + 0.5 * class_color(0).r, 2);
  const cv::Vec3b edge = image.at<cv::Vec3b>(110, 115);
  const Bgr c3 = class_color(3);
  EXPECT_EQ(edge, cv::Vec3b(c3.b, c3.g, c3.r));
}

// train_batch*.jpg / val_batch*.jpg (data::plot_batch) and detect's pictures (draw_detections)
// draw a class in the same palette colour.
TEST(Plots, BatchPicturesAndDetectionsShareTheClassColors) {
  for (const int64_t cls : {0, 3, 11}) {
    data::Batch batch;
    batch.images = torch::full({1, 3, 64, 64}, 90, torch::kUInt8);
    // A box from (16, 16) to (48, 48) in both pictures.
    batch.targets = torch::tensor({{0.0f, static_cast<float>(cls), 0.5f, 0.5f, 0.5f, 0.5f}});
    const cv::Mat grid = data::plot_batch(batch, {});
    cv::Mat drawn(64, 64, CV_8UC3, cv::Scalar(90, 90, 90));
    draw_detections(
        drawn, torch::tensor({{16.0f, 16.0f, 48.0f, 48.0f, 0.9f, static_cast<float>(cls)}}), {});
    const Bgr expected = class_color(cls);
    const cv::Vec3b palette(expected.b, expected.g, expected.r);
    EXPECT_EQ(grid.at<cv::Vec3b>(48, 32), palette) << "plot_batch, class " << cls;
    EXPECT_EQ(drawn.at<cv::Vec3b>(48, 32), palette) << "draw_detections, class " << cls;
  }
}

}  // namespace
}  // namespace qyolo::eval
