// Inference on single images, image sets and videos (ultralytics yolov5 v7.0 detect.py and
// segment/predict.py): letterbox, forward, NMS, boxes (and masks) back in original pixels, and
// the run that annotates sources and writes labels / COCO results.
#pragma once

#include <torch/torch.h>

#include <array>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "qyolo/nn/model.h"

namespace qyolo::eval {

struct PredictorOptions {
  // Square inference size, a multiple of the model's largest stride (nn::check_image_size).
  TORCH_ARG(int64_t, img_size) = 640;
  TORCH_ARG(double, conf_thres) = 0.25;
  TORCH_ARG(double, iou_thres) = 0.45;
  TORCH_ARG(int64_t, max_det) = 1000;
  // Keep only these class indices (empty: all).
  TORCH_ARG(std::vector<int64_t>, classes) = {};
  TORCH_ARG(bool, agnostic) = false;
};

// Detections of one image, on the CPU.
struct Detections {
  // (n,6) x1,y1,x2,y2,conf,cls in original image pixels, sorted by confidence.
  torch::Tensor boxes;
  // (n,h,w) 0/1 float instance masks of the original image size (segmentation models only).
  torch::Tensor masks;
  // The letterboxed network input (height, width).
  std::array<int64_t, 2> input_hw{0, 0};
  double inference_ms = 0;  // forward pass
  double nms_ms = 0;
};

class Predictor {
 public:
  // Puts `model` in eval mode; it runs on the device of its parameters.
  explicit Predictor(nn::Model model, const PredictorOptions& options = {});

  // Detections on a BGR uint8 image.
  Detections predict(const cv::Mat& bgr);

  const PredictorOptions& options() const { return options_; }
  const nn::Model& model() const { return model_; }

 private:
  nn::Model model_;
  PredictorOptions options_;
  torch::Device device_;
  int64_t stride_;
};

struct DetectRunOptions {
  // Output folder (created); annotated images keep their file names, videos become <stem>.mp4.
  TORCH_ARG(std::filesystem::path, save_dir) = "runs/detect/exp";
  // Class names for labels and the log; missing names print as the class index.
  TORCH_ARG(std::vector<std::string>, names) = {};
  // labels/<stem>.txt (videos: <stem>_<frame>.txt) with "cls cx cy w h" normalised rows.
  TORCH_ARG(bool, save_txt) = false;
  // Append the confidence to each label row.
  TORCH_ARG(bool, save_conf) = false;
  // predictions.json in the COCO results format (category_id = class index).
  TORCH_ARG(bool, save_json) = false;
  // Annotated images / videos; off keeps only labels and json.
  TORCH_ARG(bool, save_images) = true;
};

struct DetectRunSummary {
  int64_t files = 0;   // images and videos
  int64_t frames = 0;  // images plus video frames
  int64_t detections = 0;
  double ms_inference = 0;  // mean per frame
  double ms_nms = 0;
};

// Video files are recognised by extension (ultralytics VID_FORMATS).
bool is_video_file(const std::filesystem::path& path);

// Runs `predictor` over `sources` — image files, folders, .txt lists, globs (data::list_images)
// and video files — logging one line per frame like detect.py and writing the outputs selected
// by `options`. Throws qyolo::Error for a missing or unreadable source.
DetectRunSummary run_detect(Predictor& predictor, const std::vector<std::string>& sources,
                            const DetectRunOptions& options = {});

}  // namespace qyolo::eval
