#include "qyolo/data/voc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "qyolo/core/error.h"
#include "qyolo/data/labels.h"
#include "qyolo/data/xml.h"
#include "qyolo/data/yolo_dataset.h"

namespace qyolo::data {
namespace fs = std::filesystem;
namespace {

double number(const XmlElement& parent, const std::string& key, const fs::path& file) {
  const XmlElement* e = parent.child(key);
  char* end = nullptr;
  const double v = e != nullptr ? std::strtod(e->text.c_str(), &end) : 0.0;
  if (e == nullptr || end == e->text.c_str()) {
    throw Error(SourceLocation{file.string(), e != nullptr ? e->line : parent.line},
                "<" + parent.name + "> needs a numeric <" + key + ">" +
                    (e != nullptr ? " (given '" + e->text + "')" : std::string()));
  }
  return v;
}

// One annotation file as YOLO labels, with ultralytics VOC.yaml's convert_box (1-based pixels).
ImageLabels voc_labels(const fs::path& xml_path, VocSummary& summary) {
  const XmlElement root = read_xml_file(xml_path);
  const XmlElement* size = root.child("size");
  if (size == nullptr) throw Error(SourceLocation{xml_path.string(), root.line}, "missing <size>");
  const double w = number(*size, "width", xml_path), h = number(*size, "height", xml_path);
  if (w <= 0 || h <= 0)
    throw Error(SourceLocation{xml_path.string(), size->line}, "image size must be > 0");
  ImageLabels labels;
  for (const XmlElement* object : root.all("object")) {
    const std::string name = object->child_text("name");
    const auto cls = std::find(voc_names().begin(), voc_names().end(), name);
    if (cls == voc_names().end()) {
      spdlog::warn("{}:{}: object class '{}' is not a VOC class; skipped", xml_path.string(),
                   object->line, name);
      continue;
    }
    if (std::atoi(object->child_text("difficult", "0").c_str()) == 1) {
      ++summary.difficult_skipped;
      continue;
    }
    const XmlElement* box = object->child("bndbox");
    if (box == nullptr)
      throw Error(SourceLocation{xml_path.string(), object->line}, "<object> without <bndbox>");
    const double x0 = number(*box, "xmin", xml_path), x1 = number(*box, "xmax", xml_path);
    const double y0 = number(*box, "ymin", xml_path), y1 = number(*box, "ymax", xml_path);
    labels.cls.push_back(static_cast<int>(cls - voc_names().begin()));
    labels.boxes.push_back({static_cast<float>(((x0 + x1) / 2 - 1) / w),
                            static_cast<float>(((y0 + y1) / 2 - 1) / h),
                            static_cast<float>((x1 - x0) / w), static_cast<float>((y1 - y0) / h)});
  }
  return labels;
}

std::vector<std::string> image_ids(const fs::path& list) {
  std::ifstream file(list);
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream words(line);
    std::string id;
    if (words >> id) ids.push_back(id);
  }
  return ids;
}

}  // namespace

const std::vector<std::string>& voc_names() {
  static const std::vector<std::string> names = {
      "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
      "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
      "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};
  return names;
}

VocSummary convert_voc(const fs::path& root, const fs::path& out) {
  const fs::path devkit = fs::is_directory(root / "VOCdevkit") ? root / "VOCdevkit" : root;
  VocSummary summary;
  std::vector<std::string> train_splits, val_splits, test_splits;
  for (const char* year : {"2012", "2007"}) {
    const fs::path voc = devkit / (std::string("VOC") + year);
    for (const char* split : {"train", "val", "test"}) {
      const fs::path list = voc / "ImageSets" / "Main" / (std::string(split) + ".txt");
      // As ultralytics: the VOC2012 test set has no public annotations.
      if (!fs::is_regular_file(list) ||
          (std::string(split) == "test" && std::string(year) == "2012")) {
        continue;
      }
      const std::string name = std::string(split) + year;
      const fs::path image_dir = out / "images" / name;
      const fs::path label_dir = out / "labels" / name;
      fs::create_directories(image_dir);
      fs::create_directories(label_dir);
      for (const std::string& id : image_ids(list)) {
        const fs::path image = voc / "JPEGImages" / (id + ".jpg");
        if (!fs::is_regular_file(image)) {
          throw Error(SourceLocation{list.string()},
                      "image " + image.string() + " of id '" + id + "' not found");
        }
        const ImageLabels labels = voc_labels(voc / "Annotations" / (id + ".xml"), summary);
        fs::copy_file(image, image_dir / (id + ".jpg"), fs::copy_options::overwrite_existing);
        write_yolo_labels(label_dir / (id + ".txt"), labels, false);
        ++summary.images;
        summary.labels += static_cast<int>(labels.size());
      }
      summary.splits.push_back(name);
      (std::string(split) == "train" ? train_splits
       : std::string(split) == "val" ? val_splits
                                     : test_splits)
          .push_back("images/" + name);
    }
  }
  if (summary.splits.empty()) {
    throw Error(SourceLocation{devkit.string()},
                "no VOC2007 or VOC2012 ImageSets/Main/{train,val,test}.txt found (expected "
                "<root>/VOCdevkit/VOC2007/... or <root>/VOC2007/...)");
  }
  // ultralytics: train on train + val of both years, validate and test on test2007.
  std::vector<std::string> train = train_splits;
  std::vector<std::string> val = test_splits;
  if (val.empty()) {
    val = val_splits;
  } else {
    train.insert(train.end(), val_splits.begin(), val_splits.end());
  }
  auto flow_list = [](const std::vector<std::string>& items) {
    std::string text = "[";
    for (size_t i = 0; i < items.size(); ++i) text += (i ? ", " : "") + items[i];
    return text + "]";
  };
  summary.yaml = out / "voc.yaml";
  std::ofstream yaml(summary.yaml, std::ios::trunc);
  yaml << "# Pascal VOC, converted by `qyolo data voc`\npath: .  # the folder of this file\n"
       << "train: " << flow_list(train) << "\nval: " << flow_list(val) << "\n";
  if (!test_splits.empty()) yaml << "test: " << flow_list(test_splits) << "\n";
  yaml << "nc: " << voc_names().size() << "\nnames:\n";
  for (size_t i = 0; i < voc_names().size(); ++i)
    yaml << "  " << i << ": " << voc_names()[i] << "\n";
  if (!yaml) throw Error(SourceLocation{summary.yaml.string()}, "cannot write the data yaml");
  spdlog::info("VOC: {} images, {} labels, {} difficult objects skipped, splits {}", summary.images,
               summary.labels, summary.difficult_skipped, flow_list(summary.splits));
  return summary;
}

}  // namespace qyolo::data
