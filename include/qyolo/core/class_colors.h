// The colour of each class in every picture qyolo draws (train_batch*.jpg, val_batch*.jpg,
// detect's images, the per-class curves): ultralytics' `Colors` palette, so one class looks the
// same in all of them and as in ultralytics' own pictures. OpenCV-free so that data and eval,
// which both draw, can share it from core.
#pragma once

#include <cstdint>

namespace qyolo {

// Blue, green, red: the channel order of OpenCV images.
struct Bgr {
  uint8_t b = 0;
  uint8_t g = 0;
  uint8_t r = 0;
};

// The palette's 20 colours (FF3838, FF9D97, ... as RGB hex), cycled by class id.
Bgr class_color(int64_t cls);

}  // namespace qyolo
