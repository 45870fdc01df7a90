#include "qyolo/eval/predictor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "qyolo/core/error.h"
#include "support/test_support.h"

namespace qyolo::eval {
namespace {

// Pushes the objectness and class logits of every anchor up, so random weights yield
// detections at the default confidence threshold (conf = obj * cls).
void make_confident(nn::Model& model) {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < model->nl(); ++i) {
    model->head()
        .output_conv(i)
        ->bias.view({model->na(), -1})
        .narrow(1, 4, 1 + model->nc())
        .add_(6);
  }
}

// yolov5n (nc=10) with random weights that detects on any image.
nn::Model confident_model() {
  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs/models/yolov5n.yaml", 10);
  make_confident(model);
  return model;
}

cv::Mat synthetic_image(int height, int width, int seed) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(40 + seed * 30, 90, 160));
  cv::rectangle(image, {width / 5, height / 4}, {width / 2, height * 3 / 4},
                cv::Scalar(10, 200, 30 + seed * 40), cv::FILLED);
  cv::circle(image, {width * 3 / 4, height / 2}, height / 5, cv::Scalar(220, 20, 90), cv::FILLED);
  return image;
}

PredictorOptions small_options() { return PredictorOptions().img_size(160).max_det(50); }

TEST(Predictor, BoxesLieInTheOriginalImageAboveTheThreshold) {
  Predictor predictor(confident_model(), small_options());
  const cv::Mat image = synthetic_image(120, 200, 0);
  const auto det = predictor.predict(image);
  ASSERT_EQ(det.boxes.dim(), 2);
  ASSERT_EQ(det.boxes.size(1), 6);
  ASSERT_GT(det.boxes.size(0), 0);
  EXPECT_LE(det.boxes.size(0), 50);
  EXPECT_FALSE(det.masks.defined());
  // Letterbox with auto padding: the long side is 160, the short one a multiple of 32.
  EXPECT_EQ(det.input_hw[1], 160);
  EXPECT_EQ(det.input_hw[0] % 32, 0);
  EXPECT_LT(det.input_hw[0], 160);
  const auto b = det.boxes;
  EXPECT_TRUE(b.select(1, 0).ge(0).all().item<bool>());
  EXPECT_TRUE(b.select(1, 1).ge(0).all().item<bool>());
  EXPECT_TRUE(b.select(1, 2).le(200).all().item<bool>());
  EXPECT_TRUE(b.select(1, 3).le(120).all().item<bool>());
  EXPECT_TRUE(b.select(1, 2).ge(b.select(1, 0)).all().item<bool>());
  EXPECT_TRUE(b.select(1, 4).ge(0.25).all().item<bool>());
  EXPECT_TRUE(b.select(1, 5).ge(0).logical_and(b.select(1, 5).lt(10)).all().item<bool>());
  // Sorted by confidence.
  const auto conf = b.select(1, 4);
  EXPECT_TRUE(conf.slice(0, 1).le(conf.slice(0, 0, -1)).all().item<bool>());
}

TEST(Predictor, ClassFilterAndMaxDetAreApplied) {
  Predictor predictor(confident_model(), small_options().max_det(3).classes({2, 7}));
  const auto det = predictor.predict(synthetic_image(96, 96, 1));
  EXPECT_LE(det.boxes.size(0), 3);
  for (int64_t i = 0; i < det.boxes.size(0); ++i) {
    const auto cls = det.boxes[i][5].item<int64_t>();
    EXPECT_TRUE(cls == 2 || cls == 7) << cls;
  }
}

// As train, eval and export: a size off the stride is refused, not silently changed.
TEST(Predictor, RefusesAnImageSizeOffTheStride) {
  EXPECT_THROW(Predictor(confident_model(), PredictorOptions().img_size(100)), UsageError);
  EXPECT_EQ(Predictor(confident_model(), PredictorOptions().img_size(128)).options().img_size(),
            128);
}

TEST(Predictor, SegmentationModelReturnsMasksOfTheImageSize) {
  torch::manual_seed(0);
  nn::Model model(test::source_dir() / "configs/models/yolov5n-seg.yaml", 4);
  make_confident(model);
  Predictor predictor(model, small_options().max_det(5));
  const auto det = predictor.predict(synthetic_image(100, 140, 2));
  ASSERT_TRUE(det.masks.defined());
  ASSERT_EQ(det.masks.dim(), 3);
  EXPECT_EQ(det.masks.size(0), det.boxes.size(0));
  EXPECT_EQ(det.masks.size(1), 100);
  EXPECT_EQ(det.masks.size(2), 140);
}

TEST(RunDetect, AnnotatesAFolderAndWritesLabelsAndJson) {
  const auto dir = test::temp_dir("predictor_folder");
  const auto images = dir / "images";
  std::filesystem::create_directories(images);
  cv::imwrite((images / "a.jpg").string(), synthetic_image(120, 160, 0));
  cv::imwrite((images / "b.png").string(), synthetic_image(90, 130, 1));
  Predictor predictor(confident_model(), small_options());
  const auto out = dir / "exp";
  const auto summary = run_detect(
      predictor, {images.string()},
      DetectRunOptions().save_dir(out).save_txt(true).save_conf(true).save_json(true).names(
          {"shirt", "bag"}));
  EXPECT_EQ(summary.files, 2);
  EXPECT_EQ(summary.frames, 2);
  EXPECT_GT(summary.detections, 0);
  const cv::Mat a = cv::imread((out / "a.jpg").string());
  const cv::Mat b = cv::imread((out / "b.png").string());
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(a.size(), cv::Size(160, 120));
  EXPECT_EQ(b.size(), cv::Size(130, 90));
  int64_t rows = 0;
  for (const char* stem : {"a", "b"}) {
    std::ifstream labels(out / "labels" / (std::string(stem) + ".txt"));
    ASSERT_TRUE(labels.good()) << stem;
    std::string line;
    while (std::getline(labels, line)) {
      std::istringstream fields(line);
      int cls = -1;
      double cx, cy, w, h, conf;
      ASSERT_TRUE(fields >> cls >> cx >> cy >> w >> h >> conf) << line;
      EXPECT_TRUE(cls >= 0 && cls < 10) << line;
      for (double v : {cx, cy, w, h}) EXPECT_TRUE(v >= 0 && v <= 1) << line;
      EXPECT_GE(conf, 0.25) << line;
      ++rows;
    }
  }
  EXPECT_EQ(rows, summary.detections);
  std::ifstream json_file(out / "predictions.json");
  ASSERT_TRUE(json_file.good());
  const auto json = nlohmann::json::parse(json_file);
  ASSERT_EQ(static_cast<int64_t>(json.size()), summary.detections);
  EXPECT_EQ(json[0]["bbox"].size(), 4u);
  EXPECT_TRUE(json[0]["image_id"] == "a" || json[0]["image_id"] == "b");
}

TEST(RunDetect, WritesAnAnnotatedVideoWithEveryFrame) {
  const auto dir = test::temp_dir("predictor_video");
  const auto video = dir / "clip.avi";
  {
    cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 5,
                           cv::Size(128, 96));
    ASSERT_TRUE(writer.isOpened());
    for (int f = 0; f < 5; ++f) writer.write(synthetic_image(96, 128, f));
  }
  Predictor predictor(confident_model(), small_options());
  const auto out = dir / "exp";
  const auto summary =
      run_detect(predictor, {video.string()}, DetectRunOptions().save_dir(out).save_txt(true));
  EXPECT_EQ(summary.files, 1);
  EXPECT_EQ(summary.frames, 5);
  cv::VideoCapture capture((out / "clip.mp4").string());
  ASSERT_TRUE(capture.isOpened());
  int frames = 0;
  cv::Mat frame;
  while (capture.read(frame)) {
    EXPECT_EQ(frame.size(), cv::Size(128, 96));
    ++frames;
  }
  EXPECT_EQ(frames, 5);
  EXPECT_TRUE(std::filesystem::exists(out / "labels" / "clip_1.txt"));
  EXPECT_TRUE(std::filesystem::exists(out / "labels" / "clip_5.txt"));
}

TEST(RunDetect, MissingSourceIsAnError) {
  Predictor predictor(confident_model(), small_options());
  const auto dir = test::temp_dir("predictor_missing");
  EXPECT_THROW(run_detect(predictor, {(dir / "nothing.jpg").string()},
                          DetectRunOptions().save_dir(dir / "exp")),
               std::exception);
}

}  // namespace
}  // namespace qyolo::eval
