// Pascal VOC (VOCdevkit/VOC2007, VOC2012) to the YOLO layout, as ultralytics data/VOC.yaml does.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace qyolo::data {

// The 20 VOC class names in label order.
const std::vector<std::string>& voc_names();

struct VocSummary {
  int images = 0;
  int labels = 0;
  int difficult_skipped = 0;        // objects marked difficult (left out, as ultralytics does)
  std::vector<std::string> splits;  // e.g. "train2012", "test2007"
  std::filesystem::path yaml;       // <out>/voc.yaml
};

// For every ImageSets/Main/{train,val,test}.txt of VOC2007 and VOC2012 under `root` (which holds
// VOCdevkit/ or the VOC20xx folders themselves): copies JPEGImages/<id>.jpg to
// <out>/images/<split><year>/ and writes <out>/labels/<split><year>/<id>.txt from
// Annotations/<id>.xml (20 classes, difficult objects skipped, ultralytics' box conversion).
// Writes <out>/voc.yaml: train = the train and val splits, val = test = test2007 (when there is
// no test2007, val = the val splits). Throws qyolo::Error naming the file and line of bad XML
// or a missing image / annotation.
VocSummary convert_voc(const std::filesystem::path& root, const std::filesystem::path& out);

}  // namespace qyolo::data
