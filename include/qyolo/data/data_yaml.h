// Data set descriptions in the ultralytics data yaml format:
//   path: datasets/coco   # root; relative to the yaml's folder, else to the working directory
//   train: images/train   # image sources relative to path: folder, .txt list, file or glob,
//   val: images/val       # or a list of them
//   test:                 # optional
//   nc: 80                # optional when names is given
//   names: [person, ...]  # a list, or a map {0: person, 1: bicycle, ...}
//   download: ...         # accepted and ignored
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/data/yolo_dataset.h"

namespace qyolo::data {

struct DataYaml {
  std::filesystem::path source;                         // the yaml file
  std::filesystem::path root;                           // resolved `path`
  std::vector<std::filesystem::path> train, val, test;  // resolved against root
  int nc = 0;
  std::vector<std::string> names;  // nc entries
};

// Loads and validates a data yaml. Throws qyolo::UsageError naming file, line, key, the given
// value and what is allowed (unknown keys, wrong types, nc / names disagreeing, ...).
DataYaml load_data_yaml(const std::filesystem::path& path);

// Throws qyolo::Error when a train or val source does not exist: for FashionDet (a yaml named
// fashiondet.yaml) the error gives the command that generates it.
void require_dataset(const DataYaml& data);

// Scans the "train", "val" or "test" split of `data` (require_dataset first; options.nc defaults
// to data.nc). Use options.labels_dir = "labels-seg" for FashionDet's polygons.
ScanResult scan_split(const DataYaml& data, const std::string& split, ScanOptions options = {});

}  // namespace qyolo::data
