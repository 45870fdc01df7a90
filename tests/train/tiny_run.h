// A tiny FashionDet data set and training config for the end-to-end training tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "qyolo/core/config.h"
#include "qyolo/data/fashiondet.h"
#include "support/test_support.h"

namespace qyolo::train::tiny {

// 8 training and 4 validation images of 64 px; returns the data yaml.
inline std::filesystem::path dataset(const std::filesystem::path& root) {
  data::FashionDetOptions options;
  options.out = root / "fashiondet";
  options.train = 8;
  options.val = 4;
  options.img = 64;
  options.max_items = 3;
  options.max_scale = 1.5;
  return data::generate_fashiondet(options).yaml;
}

// YOLOv5n at 64 px, batch 4, no mosaic, run folder <project>/exp.
inline config::ExperimentConfig config(const std::filesystem::path& data_yaml,
                                       const std::filesystem::path& project, int epochs) {
  return config::default_experiment(
      {"model=" + (test::source_dir() / "configs/models/yolov5n.yaml").string(),
       "data=" + data_yaml.string(), "train.epochs=" + std::to_string(epochs), "train.batch=4",
       "train.imgsz=64", "train.workers=1", "train.project=" + project.string(), "train.name=exp",
       "hyp.mosaic=0.0"});
}

inline int count_lines(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::string line;
  int n = 0;
  while (std::getline(file, line)) ++n;
  return n;
}

}  // namespace qyolo::train::tiny
