// FashionDet: a detection + instance segmentation data set composed deterministically from
// Fashion-MNIST (Debian's dataset-fashion-mnist): 1-8 clothing items per image at varied
// scales, tinted, on textured noisy backgrounds, some cut by the border, with tight boxes and
// polygons from the items' own pixels. Written in the ultralytics layout and as COCO json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/core/error.h"

namespace qyolo::data {

struct FashionDetOptions {
  std::filesystem::path out = "datasets/fashiondet";
  // Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
  std::filesystem::path source = "/usr/share/datasets/fashion-mnist";
  int train = 4000;   // training images (items from the Fashion-MNIST train split)
  int val = 500;      // validation images (items from the t10k split)
  int img = 320;      // square image side in pixels
  uint64_t seed = 0;  // same seed, same options => byte-identical files
  int min_items = 1;  // items per image, uniform in [min_items, max_items]
  int max_items = 8;
  double min_scale = 0.8;  // item side = 28 px x scale, log-uniform in [min_scale, max_scale]
  double max_scale = 5.0;
  double max_overlap = 0.3;  // largest share of a placed item's box another item may cover
  int jpeg_quality = 90;
  int threads = 2;  // images are independent, so any count gives the same files
};

struct FashionDetSummary {
  int images = 0;
  int instances = 0;
  std::filesystem::path yaml;  // <out>/fashiondet.yaml
};

// The 10 Fashion-MNIST class names in label order.
const std::vector<std::string>& fashion_mnist_names();

// Writes <out>/images/{train,val}/NNNNNN.jpg, labels/{train,val}/*.txt (boxes),
// labels-seg/{train,val}/*.txt (polygons), annotations/instances_{train,val}.json (COCO, with
// segmentation) and fashiondet.yaml. Throws qyolo::Error when the Fashion-MNIST files are
// missing (naming the Debian package) or the options are out of range (UsageError).
FashionDetSummary generate_fashiondet(const FashionDetOptions& options = {});

// The error for a command that needs FashionDet at `root` and does not find it: it names the
// one command that creates it.
Error fashiondet_missing_error(const std::filesystem::path& root);

}  // namespace qyolo::data
