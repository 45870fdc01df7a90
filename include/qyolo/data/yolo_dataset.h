// Data sets in the ultralytics YOLO txt layout: images/<split>/x.jpg with labels/<split>/x.txt,
// one "class cx cy w h" (box) or "class x1 y1 x2 y2 ..." (polygon) row per instance, normalised.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/data/bad_input.h"
#include "qyolo/data/labels.h"

namespace qyolo::data {

// Image files named by `sources`, sorted: each source is an image file, a folder (searched
// recursively), a .txt list of image paths (relative ones are relative to the list's folder) or
// a glob pattern (*, ? and ** in the file name part). Throws qyolo::Error naming the path when
// a source does not exist or nothing is found.
std::vector<std::filesystem::path> list_images(const std::vector<std::filesystem::path>& sources);

// ultralytics img2label_paths: the last "/images/" becomes "/<labels_dir>/" and the extension
// ".txt". `labels_dir` is "labels" (boxes) or e.g. "labels-seg" (polygons).
std::filesystem::path image_to_label_path(const std::filesystem::path& image,
                                          const std::string& labels_dir = "labels");

struct ScanOptions {
  int nc = 0;                         // class ids must be < nc (0: no check)
  bool strict = false;                // any bad image or label line is a qyolo::Error
  std::string labels_dir = "labels";  // see image_to_label_path
  bool cache = true;                  // read and write <labels folder>.cache
};

struct ScanResult {
  std::vector<LabeledImage> images;  // usable images in sorted order, sizes and labels filled in
  BadInputCounts counts;
  std::string summary;               // BadInputLog::summary(); empty when nothing was skipped
  std::filesystem::path cache_path;  // empty when no cache was used
  int from_cache = 0;                // images whose scan was reused from the cache
};

// Lists, verifies and parses a split. Bad images and label lines are logged with their location,
// skipped and counted (or thrown under `strict`); duplicate rows are removed with a warning;
// polygon rows also get their box from the polygon bounds. Parsed labels are cached next to the
// labels folder (<labels folder>.cache, CBOR, file names kept as the bytes they are), keyed by
// each image's and label file's size and modification time, so a rescan only reads changed
// files; a cache that cannot be written is skipped with a warning. Throws qyolo::Error when no
// usable image remains.
ScanResult scan_yolo_dataset(const std::vector<std::filesystem::path>& sources,
                             const ScanOptions& options = {});

// Parses one label file's text. Problems go to `log` with `label_path` and line numbers.
ImageLabels parse_yolo_labels(const std::string& text, const std::filesystem::path& label_path,
                              int nc, BadInputLog& log);

// Writes `labels` as YOLO txt rows: polygons when `segments` and present, boxes otherwise.
void write_yolo_labels(const std::filesystem::path& path, const ImageLabels& labels, bool segments);

}  // namespace qyolo::data
