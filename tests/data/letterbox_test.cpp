// Letterbox geometry and pixels against ultralytics yolov5 v7.0 (fixtures/letterbox_cases.json),
// and scale_boxes round trips.
#include "qyolo/data/letterbox.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "support/test_support.h"

namespace qyolo::data {
namespace {

nlohmann::json load_cases() {
  std::ifstream in(test::fixtures_dir() / "letterbox_cases.json");
  EXPECT_TRUE(in.good()) << "letterbox_cases.json not found in " << test::fixtures_dir();
  return nlohmann::json::parse(in);
}

// numpy's legacy RandomState(seed).randint(0, 256, shape, dtype=np.uint8): MT19937 seeded by
// init_genrand, each 32-bit draw split into four bytes, least significant first, per call.
class NumpyUint8Images {
 public:
  explicit NumpyUint8Images(uint32_t seed) : engine_(seed) {}
  cv::Mat next(int h, int w) {
    cv::Mat image(h, w, CV_8UC3);
    uint32_t buffer = 0;
    int left = 0;
    for (size_t k = 0; k < image.total() * 3; ++k) {
      if (left == 0) {
        buffer = static_cast<uint32_t>(engine_());
        left = 3;
      } else {
        buffer >>= 8;
        --left;
      }
      image.data[k] = static_cast<uint8_t>(buffer & 0xff);
    }
    return image;
  }

 private:
  std::mt19937 engine_;
};

TEST(Letterbox, MatchesReferenceCases) {
  const auto fixture = load_cases();
  NumpyUint8Images random_images(6);
  ASSERT_EQ(fixture["cases"].size(), 80u);
  for (const auto& c : fixture["cases"]) {
    const int h = c["in_hw"][0], w = c["in_hw"][1];
    const int target = c["new_shape"];
    LetterboxOptions options;
    options.auto_pad = c["auto"];
    options.scale_fill = c["scaleFill"];
    options.scaleup = c["scaleup"];
    options.stride = c["stride"];
    const std::string name = c.dump();

    const cv::Mat zeros = cv::Mat::zeros(h, w, CV_8UC3);
    const Letterboxed out = letterbox(zeros, {target, target}, options);
    EXPECT_EQ(out.image.rows, c["out_hw"][0].get<int>()) << name;
    EXPECT_EQ(out.image.cols, c["out_hw"][1].get<int>()) << name;
    EXPECT_NEAR(out.placement.ratio[0], c["ratio"][0].get<double>(), 1e-9) << name;
    EXPECT_NEAR(out.placement.ratio[1], c["ratio"][1].get<double>(), 1e-9) << name;
    EXPECT_NEAR(out.placement.pad[0], c["pad_dw_dh"][0].get<double>(), 1e-9) << name;
    EXPECT_NEAR(out.placement.pad[1], c["pad_dw_dh"][1].get<double>(), 1e-9) << name;

    // Content placement: the bounding rectangle of the pixels that are not the pad colour.
    cv::Mat channel, content;
    cv::extractChannel(out.image, channel, 0);
    cv::compare(channel, 114, content, cv::CMP_NE);
    const cv::Rect rect = cv::boundingRect(content);
    EXPECT_EQ(rect.y, c["content_top_left_h_w"][0].get<int>()) << name;
    EXPECT_EQ(rect.x, c["content_top_left_h_w"][1].get<int>()) << name;
    EXPECT_EQ(rect.height, c["content_top_left_h_w"][2].get<int>()) << name;
    EXPECT_EQ(rect.width, c["content_top_left_h_w"][3].get<int>()) << name;

    const cv::Mat random = random_images.next(h, w);
    const cv::Mat boxed = letterbox(random, {target, target}, options).image;
    const cv::Scalar sums = cv::sum(boxed);
    const int64_t total = static_cast<int64_t>(sums[0] + sums[1] + sums[2]);
    EXPECT_EQ(total, c["random_image_out_sum"].get<int64_t>()) << name;
  }
}

torch::Tensor to_tensor(const nlohmann::json& rows) {
  std::vector<float> values;
  for (const auto& row : rows) {
    for (const auto& v : row) values.push_back(v.get<float>());
  }
  return torch::tensor(values).reshape({-1, 4});
}

TEST(Letterbox, ScaleBoxesRoundTrips) {
  const auto fixture = load_cases();
  ASSERT_EQ(fixture["scale_boxes"].size(), 4u);
  for (const auto& c : fixture["scale_boxes"]) {
    const std::array<int64_t, 2> img0{c["img0_hw"][0], c["img0_hw"][1]};
    const std::array<int64_t, 2> img1{c["img1_hw"][0], c["img1_hw"][1]};
    const int target = c["new_shape"];
    LetterboxOptions options;
    options.auto_pad = false;
    const Letterboxed boxed =
        letterbox(cv::Mat::zeros(static_cast<int>(img0[0]), static_cast<int>(img0[1]), CV_8UC3),
                  {target, target}, options);
    EXPECT_EQ(boxed.image.rows, img1[0]);
    EXPECT_EQ(boxed.image.cols, img1[1]);
    EXPECT_NEAR(boxed.placement.pad[0], c["pad_dw_dh"][0].get<double>(), 1e-9);
    EXPECT_NEAR(boxed.placement.pad[1], c["pad_dw_dh"][1].get<double>(), 1e-9);

    const torch::Tensor in_letterbox = to_tensor(c["boxes_img1_xyxy"]);
    const torch::Tensor recomputed = scale_boxes(img1, in_letterbox, img0);
    const torch::Tensor given = scale_boxes(img1, in_letterbox, img0, &boxed.placement);
    EXPECT_TRUE(torch::allclose(recomputed, to_tensor(c["scale_boxes_ratio_pad_None"]), 0, 1e-3))
        << recomputed;
    EXPECT_TRUE(torch::allclose(given, to_tensor(c["scale_boxes_ratio_pad_given"]), 0, 1e-3))
        << given;
    // Inside the image, the round trip returns the original boxes.
    torch::Tensor expected = to_tensor(c["boxes_img0_xyxy"]);
    clip_boxes(expected, img0);
    EXPECT_TRUE(torch::allclose(given, expected, 0, 1e-3)) << given << expected;
  }
}

}  // namespace
}  // namespace qyolo::data
