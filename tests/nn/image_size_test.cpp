#include "qyolo/nn/image_size.h"

#include <gtest/gtest.h>

#include "qyolo/core/error.h"

namespace qyolo::nn {
namespace {

std::string image_size_error(int64_t size, int64_t stride) {
  try {
    check_image_size(size, stride, "train.imgsz");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageSize, MultiplesOfTheStridePass) {
  EXPECT_NO_THROW(check_image_size(640, 32, "--img"));
  EXPECT_NO_THROW(check_image_size(64, 64, "--img"));
}

TEST(ImageSize, OtherSizesNameTheNearestValidOnes) {
  auto message = image_size_error(100, 32);
  EXPECT_NE(message.find("train.imgsz 100 is not a multiple of the model's stride 32"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("nearest valid sizes are 96 and 128"), std::string::npos) << message;
  message = image_size_error(33, 32);
  EXPECT_NE(message.find("are 32 and 64"), std::string::npos) << message;
  message = image_size_error(20, 32);
  EXPECT_NE(message.find("nearest valid size is 32"), std::string::npos) << message;
  EXPECT_NE(image_size_error(0, 32), "");
}

}  // namespace
}  // namespace qyolo::nn
