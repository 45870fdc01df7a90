#include "qyolo/eval/predictor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/data/dataset.h"
#include "qyolo/data/letterbox.h"
#include "qyolo/data/yolo_dataset.h"
#include "qyolo/eval/masks.h"
#include "qyolo/eval/nms.h"
#include "qyolo/eval/plots.h"
#include "qyolo/eval/validator.h"
#include "qyolo/geometry/boxes.h"
#include "qyolo/nn/image_size.h"

namespace qyolo::eval {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

torch::Device parameter_device(const nn::ModelImpl& model) {
  const auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

// Masks (n,H,W) of the letterboxed input -> (n,h0,w0) of the original image: the padding is cut
// away and the rest resized bilinearly (ultralytics scale_image), then re-binarised.
torch::Tensor masks_to_original(const torch::Tensor& masks, const data::RatioPad& placement,
                                std::array<int64_t, 2> original_hw) {
  const int64_t h = masks.size(1), w = masks.size(2);
  const auto top = static_cast<int64_t>(placement.pad[1]);
  const auto left = static_cast<int64_t>(placement.pad[0]);
  const auto bottom = static_cast<int64_t>(h - placement.pad[1]);
  const auto right = static_cast<int64_t>(w - placement.pad[0]);
  auto inner = masks.slice(1, top, bottom).slice(2, left, right).unsqueeze(0);
  namespace F = torch::nn::functional;
  auto resized =
      F::interpolate(inner, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{original_hw[0], original_hw[1]})
                                .mode(torch::kBilinear)
                                .align_corners(false));
  return resized.squeeze(0).gt(0.5).to(torch::kFloat);
}

// "2 shirts, 1 bag, " in order of class index, as detect.py prints per image.
std::string count_by_class(const torch::Tensor& boxes, const std::vector<std::string>& names) {
  std::map<int64_t, int64_t> counts;
  for (int64_t i = 0; i < boxes.size(0); ++i) ++counts[boxes[i][5].item<int64_t>()];
  std::string out;
  for (const auto& [cls, n] : counts) {
    out += std::to_string(n) + " " + class_name(names, cls) + (n > 1 ? "s" : "") + ", ";
  }
  return out.empty() ? "(no detections), " : out;
}

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// One label row per detection: class, normalised centre-size box [, confidence].
void write_labels(const std::filesystem::path& file, const torch::Tensor& boxes,
                  std::array<int64_t, 2> hw, bool save_conf) {
  if (boxes.size(0) == 0) return;  // detect.py writes no file for an empty image
  auto xywh = geometry::xyxy2xywh(boxes.narrow(1, 0, 4));
  const double gain[4] = {static_cast<double>(hw[1]), static_cast<double>(hw[0]),
                          static_cast<double>(hw[1]), static_cast<double>(hw[0])};
  std::ofstream out(file, std::ios::app);
  if (!out) throw Error("cannot write labels file '" + file.string() + "'");
  for (int64_t i = 0; i < boxes.size(0); ++i) {
    std::string line = std::to_string(boxes[i][5].item<int64_t>());
    for (int k = 0; k < 4; ++k) line += " " + format_g(xywh[i][k].item<double>() / gain[k]);
    if (save_conf) line += " " + format_g(boxes[i][4].item<double>());
    out << line << "\n";
  }
}

void append_json(nlohmann::json& results, const nlohmann::json& image_id,
                 const torch::Tensor& boxes) {
  for (int64_t i = 0; i < boxes.size(0); ++i) {
    const double x1 = boxes[i][0].item<double>(), y1 = boxes[i][1].item<double>();
    const double x2 = boxes[i][2].item<double>(), y2 = boxes[i][3].item<double>();
    auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
    results.push_back({{"image_id", image_id},
                       {"category_id", boxes[i][5].item<int64_t>()},
                       {"bbox", {r3(x1), r3(y1), r3(x2 - x1), r3(y2 - y1)}},
                       {"score", std::round(boxes[i][4].item<double>() * 100000) / 100000}});
  }
}

struct Source {
  std::filesystem::path path;
  bool video = false;
};

std::vector<Source> collect_sources(const std::vector<std::string>& sources) {
  std::vector<Source> out;
  for (const auto& s : sources) {
    const std::filesystem::path p(s);
    if (is_video_file(p) && std::filesystem::is_regular_file(p)) {
      out.push_back({p, true});
      continue;
    }
    if (is_video_file(p)) throw Error("--source '" + s + "': video file does not exist");
    for (auto& image : data::list_images({p})) out.push_back({std::move(image), false});
  }
  return out;
}

}  // namespace

Predictor::Predictor(nn::Model model, const PredictorOptions& options)
    : model_(std::move(model)),
      options_(options),
      device_(parameter_device(*model_)),
      stride_(model_->max_stride()) {
  model_->eval();
  nn::check_image_size(options_.img_size(), stride_, "--img");
}

Detections Predictor::predict(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw Error("predict: expects a BGR uint8 image");
  torch::NoGradGuard no_grad;
  data::LetterboxOptions lb;
  lb.auto_pad = true;
  lb.stride = static_cast<int>(stride_);
  const int size = static_cast<int>(options_.img_size());
  const auto boxed = data::letterbox(bgr, {size, size}, lb);
  auto input =
      data::to_rgb_tensor(boxed.image).unsqueeze(0).to(device_).to(torch::kFloat).div_(255);
  Detections result;
  result.input_hw = {input.size(2), input.size(3)};

  auto start = Clock::now();
  const auto output = model_->forward(input);
  result.inference_ms = ms_since(start);

  start = Clock::now();
  const int64_t nm = model_->nm();
  auto det = non_max_suppression(output.decoded, NmsOptions()
                                                     .conf_thres(options_.conf_thres())
                                                     .iou_thres(options_.iou_thres())
                                                     .classes(options_.classes())
                                                     .agnostic(options_.agnostic())
                                                     .max_det(options_.max_det())
                                                     .num_masks(nm))[0]
                 .to(torch::kCPU, torch::kFloat);
  result.nms_ms = ms_since(start);

  const std::array<int64_t, 2> original_hw{bgr.rows, bgr.cols};
  if (nm > 0) {
    auto masks =
        det.size(0) == 0
            ? torch::zeros({0, original_hw[0], original_hw[1]})
            : masks_to_original(
                  process_mask_upsample(output.proto[0].to(torch::kCPU, torch::kFloat),
                                        det.narrow(1, 6, nm), det.narrow(1, 0, 4), result.input_hw),
                  boxed.placement, original_hw);
    result.masks = masks;
  }
  auto boxes = det.narrow(1, 0, 6).clone();
  boxes.narrow(1, 0, 4).copy_(data::scale_boxes(result.input_hw, boxes.narrow(1, 0, 4).clone(),
                                                original_hw, &boxed.placement)
                                  .round());
  result.boxes = boxes;
  return result;
}

bool is_video_file(const std::filesystem::path& path) {
  static const std::vector<std::string> kFormats = {".asf", ".avi", ".gif", ".m4v",
                                                    ".mkv", ".mov", ".mp4", ".mpeg",
                                                    ".mpg", ".ts",  ".wmv", ".webm"};
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return std::find(kFormats.begin(), kFormats.end(), ext) != kFormats.end();
}

DetectRunSummary run_detect(Predictor& predictor, const std::vector<std::string>& sources,
                            const DetectRunOptions& options) {
  const auto files = collect_sources(sources);
  const auto& dir = options.save_dir();
  std::filesystem::create_directories(dir);
  if (options.save_txt()) std::filesystem::create_directories(dir / "labels");
  const auto& names = options.names();
  nlohmann::json results = nlohmann::json::array();
  DetectRunSummary summary;
  summary.files = static_cast<int64_t>(files.size());

  // Detects on one frame, logs it and writes its labels / json rows; returns the annotated frame.
  auto process = [&](cv::Mat& frame, const std::string& prefix, const std::string& label_stem,
                     const nlohmann::json& image_id) {
    const auto det = predictor.predict(frame);
    ++summary.frames;
    summary.detections += det.boxes.size(0);
    summary.ms_inference += det.inference_ms;
    summary.ms_nms += det.nms_ms;
    spdlog::info("{}{}x{} {}{:.1f}ms", prefix, det.input_hw[0], det.input_hw[1],
                 count_by_class(det.boxes, names), det.inference_ms);
    const std::array<int64_t, 2> hw{frame.rows, frame.cols};
    if (options.save_txt()) {
      write_labels(dir / "labels" / (label_stem + ".txt"), det.boxes, hw, options.save_conf());
    }
    if (options.save_json()) append_json(results, image_id, det.boxes);
    if (options.save_images()) draw_detections(frame, det.boxes, names, det.masks);
  };

  const auto total = files.size();
  for (size_t i = 0; i < total; ++i) {
    const auto& src = files[i];
    const std::string stem = src.path.stem().string();
    if (!src.video) {
      cv::Mat image;
      try {
        image = data::read_image(src.path.string());
      } catch (const Error& e) {
        spdlog::warn("image {}/{} skipped: {}", i + 1, total, e.what());
        ++summary.skipped;
        continue;
      }
      const std::string prefix = "image " + std::to_string(i + 1) + "/" + std::to_string(total) +
                                 " " + src.path.string() + ": ";
      process(image, prefix, stem, coco_image_id(src.path.string()));
      if (options.save_images()) {
        const auto out = dir / src.path.filename();
        if (!cv::imwrite(out.string(), image)) throw Error("cannot write '" + out.string() + "'");
      }
      continue;
    }
    cv::VideoCapture capture(src.path.string());
    if (!capture.isOpened()) {
      spdlog::warn("video {}/{} skipped: {}: cannot open the video", i + 1, total,
                   src.path.string());
      ++summary.skipped;
      continue;
    }
    const auto frames = static_cast<int64_t>(capture.get(cv::CAP_PROP_FRAME_COUNT));
    double fps = capture.get(cv::CAP_PROP_FPS);
    if (!(fps > 0)) fps = 30;  // unknown rate: detect.py's fallback
    cv::VideoWriter writer;
    const auto out = dir / (stem + ".mp4");
    cv::Mat frame;
    for (int64_t f = 1; capture.read(frame); ++f) {
      const std::string prefix = "video " + std::to_string(i + 1) + "/" + std::to_string(total) +
                                 " (" + std::to_string(f) + "/" + std::to_string(frames) + ") " +
                                 src.path.string() + ": ";
      const std::string frame_stem = stem + "_" + std::to_string(f);
      process(frame, prefix, frame_stem, frame_stem);
      if (!options.save_images()) continue;
      if (!writer.isOpened()) {
        writer.open(out.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, frame.size());
        if (!writer.isOpened()) throw Error("cannot write video '" + out.string() + "'");
      }
      writer.write(frame);
    }
  }
  if (options.save_json()) write_file_atomic(dir / "predictions.json", results.dump());
  if (summary.frames > 0) {
    summary.ms_inference /= static_cast<double>(summary.frames);
    summary.ms_nms /= static_cast<double>(summary.frames);
  }
  return summary;
}

}  // namespace qyolo::eval
