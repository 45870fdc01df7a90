// FashionDet generation: byte-identical output for a seed, independent of the thread count,
// consistent YOLO / segment / COCO labels, and the "not generated yet" error.
#include "qyolo/data/fashiondet.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qyolo/data/coco.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/gzip.h"
#include "qyolo/data/idx.h"
#include "qyolo/data/yolo_dataset.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {
namespace fs = std::filesystem;

const fs::path kFashionMnist = "/usr/share/datasets/fashion-mnist";

// Every file under `root` (relative path) with its FNV-1a hash.
std::map<std::string, uint64_t> hash_tree(const fs::path& root) {
  std::map<std::string, uint64_t> hashes;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    uint64_t h = 1469598103934665603ULL;
    for (char c; file.get(c);) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
    hashes[fs::relative(entry.path(), root).string()] = h;
  }
  return hashes;
}

FashionDetOptions small(const fs::path& out, int threads) {
  FashionDetOptions o;
  o.out = out;
  o.train = 12;
  o.val = 4;
  o.img = 160;
  o.max_scale = 4.0;
  o.threads = threads;
  return o;
}

TEST(FashionDet, IdxReaderReadsFashionMnist) {
  const IdxArray labels = read_idx(kFashionMnist / "t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(labels.dims, std::vector<int64_t>({10000}));
  const IdxArray images = read_idx(kFashionMnist / "t10k-images-idx3-ubyte.gz");
  ASSERT_EQ(images.dims, std::vector<int64_t>({10000, 28, 28}));
  // Fashion-MNIST t10k starts with an ankle boot (9), a pullover (2) and two trousers (1).
  EXPECT_EQ(labels.data[0], 9);
  EXPECT_EQ(labels.data[1], 2);
  EXPECT_EQ(labels.data[2], 1);
  EXPECT_EQ(labels.data[3], 1);
  std::array<int, 10> per_class{};
  for (uint8_t c : labels.data) ++per_class.at(c);
  for (int n : per_class) EXPECT_EQ(n, 1000);  // t10k is balanced
}

TEST(FashionDet, GzipRejectsCorruptData) {
  std::ifstream file(kFashionMnist / "t10k-labels-idx1-ubyte.gz", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  std::vector<uint8_t> truncated(bytes.begin(), bytes.end() - 20);
  EXPECT_THROW(gunzip(truncated, "truncated.gz"), Error);
  std::vector<uint8_t> flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_THROW(gunzip(flipped, "flipped.gz"), Error);  // caught by the CRC at the latest
  EXPECT_THROW(gunzip({1, 2, 3}, "junk.gz"), Error);
  // Concatenated members decompress to the concatenated contents, as gzip -d gives them.
  std::vector<uint8_t> two = bytes;
  two.insert(two.end(), bytes.begin(), bytes.end());
  const std::vector<uint8_t> once = gunzip(bytes, "once.gz"), twice = gunzip(two, "two.gz");
  ASSERT_EQ(twice.size(), 2 * once.size());
  EXPECT_TRUE(std::equal(once.begin(), once.end(), twice.begin() + once.size()));
}

TEST(FashionDet, SameSeedGivesByteIdenticalFilesForAnyThreadCount) {
  const fs::path a = test::temp_dir("fashiondet_a"), b = test::temp_dir("fashiondet_b");
  const FashionDetSummary summary = generate_fashiondet(small(a, 1));
  generate_fashiondet(small(b, 2));
  EXPECT_EQ(summary.images, 16);
  const auto first = hash_tree(a), second = hash_tree(b);
  // 16 images, 16 box + 16 polygon label files, 2 json files, the yaml.
  EXPECT_EQ(first.size(), 16u * 3 + 2 + 1);
  EXPECT_EQ(first, second);

  FashionDetOptions other = small(test::temp_dir("fashiondet_c"), 2);
  other.seed = 1;
  generate_fashiondet(other);
  EXPECT_NE(hash_tree(other.out).at("images/train/000001.jpg"),
            first.at("images/train/000001.jpg"));
}

TEST(FashionDet, LabelsAgreeAcrossFormatsAndScanCleanly) {
  const fs::path out = test::temp_dir("fashiondet_labels");
  const FashionDetSummary summary = generate_fashiondet(small(out, 2));
  EXPECT_GE(summary.instances, summary.images);  // at least one item per image on average

  const DataYaml yaml = load_data_yaml(summary.yaml);
  EXPECT_EQ(yaml.nc, 10);
  EXPECT_EQ(yaml.names, fashion_mnist_names());
  EXPECT_NO_THROW(require_dataset(yaml));

  ScanOptions options;
  options.strict = true;  // the generator must never write a bad row
  const ScanResult boxes = scan_split(yaml, "train", options);
  options.labels_dir = "labels-seg";
  const ScanResult polygons = scan_split(yaml, "train", options);
  EXPECT_EQ(scan_split(yaml, "val", options).images.size(), 4u);
  EXPECT_THROW(scan_split(yaml, "test", options), UsageError);
  ASSERT_EQ(boxes.images.size(), 12u);
  ASSERT_EQ(polygons.images.size(), 12u);

  const CocoDataset coco =
      read_coco_json(out / "annotations" / "instances_train.json", out / "images" / "train");
  EXPECT_EQ(coco.names, fashion_mnist_names());
  ASSERT_EQ(coco.images.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    const ImageLabels& b = boxes.images[i].labels;
    const ImageLabels& p = polygons.images[i].labels;
    const ImageLabels& c = coco.images[i].labels;
    EXPECT_EQ(boxes.images[i].width, 160);
    ASSERT_EQ(b.size(), c.size());
    ASSERT_EQ(p.size(), b.size());
    EXPECT_EQ(b.cls, c.cls);
    EXPECT_EQ(p.cls, b.cls);
    for (size_t k = 0; k < b.size(); ++k) {
      for (int j = 0; j < 4; ++j) EXPECT_NEAR(b.boxes[k][j], c.boxes[k][j], 1e-4);
      // The polygon (largest part of the visible mask) lies inside the tight mask box.
      EXPECT_LE(p.boxes[k][2], b.boxes[k][2] + 1e-5f);
      EXPECT_LE(p.boxes[k][3], b.boxes[k][3] + 1e-5f);
      EXPECT_GT(p.boxes[k][2] * p.boxes[k][3], 0.3f * b.boxes[k][2] * b.boxes[k][3]);
    }
  }
}

TEST(FashionDet, MissingDataSetErrorNamesTheCommand) {
  const fs::path yaml = test::source_dir() / "configs" / "data" / "fashiondet.yaml";
  DataYaml data = load_data_yaml(yaml);
  EXPECT_EQ(data.nc, 10);
  data.root = "/nonexistent/fashiondet";
  data.train = {data.root / "images/train"};
  try {
    require_dataset(data);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qyolo data fashiondet --out"), std::string::npos)
        << e.what();
  }
}

TEST(FashionDet, RejectsBadOptions) {
  FashionDetOptions o = small(test::temp_dir("fashiondet_bad"), 1);
  o.max_scale = 100;  // items larger than the image
  EXPECT_THROW(generate_fashiondet(o), UsageError);
  o = small(o.out, 1);
  o.source = "/nonexistent";
  EXPECT_THROW(generate_fashiondet(o), Error);
}

}  // namespace
}  // namespace qyolo::data
