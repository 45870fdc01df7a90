// Cheap verification of an image file before training reads it (ultralytics verify_image_label:
// format, decodability, EXIF-rotated size, minimum size, truncated JPEG end).
#pragma once

#include <filesystem>
#include <string>

namespace qyolo::data {

// File extensions accepted as images (ultralytics IMG_FORMATS), lower case without the dot.
bool is_image_file(const std::filesystem::path& path);

struct ImageCheck {
  int width = 0;  // as displayed, i.e. after the EXIF orientation OpenCV applies when reading
  int height = 0;
  std::string problem;  // empty when the image is usable

  bool ok() const { return problem.empty(); }
};

ImageCheck check_image(const std::filesystem::path& path);

}  // namespace qyolo::data
