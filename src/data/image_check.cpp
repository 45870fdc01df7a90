#include "qyolo/data/image_check.h"

#include <algorithm>
#include <array>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "qyolo/core/read_file.h"

namespace qyolo::data {
namespace {

constexpr int kMinSide = 10;  // ultralytics rejects images of 9 px or less per side

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// Size from the JPEG frame header, or {0, 0} when it cannot be trusted without decoding (no
// SOF marker, or an EXIF block whose orientation may swap width and height).
cv::Size jpeg_header_size(const std::vector<uint8_t>& bytes) {
  size_t pos = 2;
  while (pos + 9 < bytes.size()) {
    if (bytes[pos] != 0xff) return {};
    const uint8_t marker = bytes[pos + 1];
    const size_t length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (marker == 0xe1) return {};  // APP1 (EXIF): let the decoder apply the orientation
    const bool start_of_frame =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (start_of_frame) {
      return {(bytes[pos + 7] << 8) | bytes[pos + 8], (bytes[pos + 5] << 8) | bytes[pos + 6]};
    }
    pos += 2 + length;
  }
  return {};
}

}  // namespace

bool is_image_file(const std::filesystem::path& path) {
  static const std::array<const char*, 10> kFormats = {"bmp", "dng", "jpeg", "jpg",  "mpo",
                                                       "png", "tif", "tiff", "webp", "pfm"};
  const std::string ext = lower_extension(path);
  return std::any_of(kFormats.begin(), kFormats.end(), [&](const char* f) { return ext == f; });
}

ImageCheck check_image(const std::filesystem::path& path) {
  ImageCheck check;
  std::error_code unreadable;
  const std::string file = read_file(path, unreadable);
  if (unreadable) {
    check.problem = "cannot read the file: " + unreadable.message();
    return check;
  }
  const std::vector<uint8_t> bytes(file.begin(), file.end());
  if (bytes.empty()) {
    check.problem = "empty file";
    return check;
  }
  const std::string ext = lower_extension(path);
  cv::Size size;
  if (ext == "jpg" || ext == "jpeg") {
    if (bytes.size() < 4 || bytes[0] != 0xff || bytes[1] != 0xd8) {
      check.problem = "not a JPEG (no start-of-image marker)";
      return check;
    }
    if (bytes[bytes.size() - 2] != 0xff || bytes[bytes.size() - 1] != 0xd9) {
      check.problem = "truncated JPEG (no end-of-image marker)";
      return check;
    }
    size = jpeg_header_size(bytes);
    if (!size.empty()) {
      // A 1/8-scale decode still walks all entropy-coded data: catches corrupt scans cheaply.
      if (cv::imdecode(bytes, cv::IMREAD_REDUCED_GRAYSCALE_8).empty()) {
        check.problem = "corrupt JPEG data (decoding failed)";
        return check;
      }
    }
  }
  if (size.empty()) {
    const cv::Mat image = cv::imdecode(bytes, cv::IMREAD_COLOR);
    if (image.empty()) {
      check.problem = "unreadable or corrupt image (decoding failed)";
      return check;
    }
    size = image.size();
  }
  if (size.width < kMinSide || size.height < kMinSide) {
    check.problem = "image size " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                    " is below " + std::to_string(kMinSide) + " pixels per side";
    return check;
  }
  check.width = size.width;
  check.height = size.height;
  return check;
}

}  // namespace qyolo::data
