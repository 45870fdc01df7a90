#include "qyolo/data/data_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "qyolo/core/error.h"
#include "qyolo/data/fashiondet.h"

namespace qyolo::data {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kKeys = {"path", "train", "val", "test", "nc", "names", "download"};

class Reader {
 public:
  explicit Reader(fs::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    const YAML::Mark m = node.Mark();
    std::string given;
    if (node.IsScalar()) {
      given = " (given '" + node.Scalar() + "')";
    } else if (node.IsSequence()) {
      given = " (given a list)";
    } else if (node.IsMap()) {
      given = " (given a map)";
    }
    throw UsageError(SourceLocation{file_.string(), m.is_null() ? -1 : m.line + 1,
                                    m.is_null() ? -1 : m.column + 1},
                     "data yaml key '" + key + "': " + message + given);
  }

  std::vector<std::string> paths(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> out;
    if (!node || node.IsNull()) return out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) fail(item, key, "list entries must be paths");
        out.push_back(item.Scalar());
      }
    } else {
      fail(node, key, "allowed: a path (folder, .txt list, image or glob) or a list of paths");
    }
    return out;
  }

  std::vector<std::string> names(const YAML::Node& node) const {
    std::vector<std::string> out;
    if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) fail(item, "names", "entries must be class names");
        out.push_back(item.Scalar());
      }
    } else if (node.IsMap()) {
      std::map<int, std::string> by_id;
      for (const auto& entry : node) {
        int id = -1;
        if (!YAML::convert<int>::decode(entry.first, id) || id < 0) {
          fail(entry.first, "names", "map keys must be class ids 0, 1, ..., nc-1");
        }
        if (!entry.second.IsScalar()) fail(entry.second, "names", "values must be class names");
        by_id[id] = entry.second.Scalar();
      }
      int expected = 0;
      for (const auto& [id, name] : by_id) {
        if (id != expected++) {
          fail(node, "names",
               "class ids must be 0, 1, ..., nc-1 without gaps; missing " +
                   std::to_string(expected - 1));
        }
        out.push_back(name);
      }
    } else {
      fail(node, "names", "allowed: a list of class names or a map {0: name, 1: name, ...}");
    }
    return out;
  }

 private:
  fs::path file_;
};

}  // namespace

DataYaml load_data_yaml(const fs::path& path) {
  if (!fs::is_regular_file(path)) {
    throw UsageError(SourceLocation{path.string()}, "data yaml not found");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw UsageError(SourceLocation{path.string(), e.mark.line + 1, e.mark.column + 1},
                     "not valid YAML: " + e.msg);
  }
  const Reader reader(path);
  if (!root.IsMap())
    reader.fail(root, "(top level)", "a data yaml is a map of path, train, val, ...");
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      reader.fail(entry.first, key,
                  "unknown key; allowed: path, train, val, test, nc, names, download");
    }
  }
  DataYaml data;
  data.source = path;
  const fs::path yaml_dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const YAML::Node path_node = root["path"];
  const std::vector<std::string> root_paths = reader.paths(path_node, "path");
  if (root_paths.size() > 1) reader.fail(path_node, "path", "allowed: one folder");
  const fs::path given_root = root_paths.empty() ? fs::path() : fs::path(root_paths.front());
  if (given_root.is_absolute()) {
    data.root = given_root;
  } else if (fs::exists(yaml_dir / given_root) && !given_root.empty()) {
    data.root = (yaml_dir / given_root).lexically_normal();
  } else if (given_root.empty()) {
    data.root = yaml_dir;
  } else {
    data.root = given_root;  // relative to the working directory
  }
  for (const char* key : {"train", "val", "test"}) {
    std::vector<fs::path>& into = std::string(key) == "train" ? data.train
                                  : std::string(key) == "val" ? data.val
                                                              : data.test;
    for (const std::string& p : reader.paths(root[key], key)) {
      const fs::path source(p);
      into.push_back(source.is_absolute() ? source : (data.root / source).lexically_normal());
    }
  }
  if (data.train.empty()) reader.fail(root, "train", "required: the training images");
  if (data.val.empty()) reader.fail(root, "val", "required: the validation images");
  const YAML::Node nc = root["nc"];
  if (nc && !nc.IsNull()) {
    if (!YAML::convert<int>::decode(nc, data.nc) || data.nc < 1) {
      reader.fail(nc, "nc", "allowed: an integer >= 1");
    }
  }
  const YAML::Node names = root["names"];
  if (names && !names.IsNull()) {
    data.names = reader.names(names);
    if (data.nc == 0) data.nc = static_cast<int>(data.names.size());
    if (data.nc != static_cast<int>(data.names.size())) {
      reader.fail(names, "names",
                  std::to_string(data.names.size()) + " names but nc is " +
                      std::to_string(data.nc) + "; they must agree");
    }
  } else if (data.nc > 0) {
    for (int i = 0; i < data.nc; ++i) data.names.push_back("class" + std::to_string(i));
  } else {
    reader.fail(root, "names", "required: names (or at least nc)");
  }
  return data;
}

void require_dataset(const DataYaml& data) {
  std::vector<fs::path> needed = data.train;
  needed.insert(needed.end(), data.val.begin(), data.val.end());
  for (const fs::path& source : needed) {
    const std::string text = source.string();
    // A glob names a pattern: its folder is what must exist.
    const fs::path must_exist =
        text.find_first_of("*?") != std::string::npos ? source.parent_path() : source;
    if (fs::exists(must_exist) || must_exist.filename() == "**") continue;
    if (data.source.stem() == "fashiondet") throw fashiondet_missing_error(data.root);
    throw Error(SourceLocation{data.source.string()},
                "data set not found: " + text +
                    " does not exist (download or convert the data set into " + data.root.string() +
                    ", e.g. with `qyolo data voc` or `qyolo data coco2yolo`)");
  }
}

ScanResult scan_split(const DataYaml& data, const std::string& split, ScanOptions options) {
  const std::vector<fs::path>* sources = split == "train"  ? &data.train
                                         : split == "val"  ? &data.val
                                         : split == "test" ? &data.test
                                                           : nullptr;
  if (sources == nullptr) {
    throw UsageError("unknown data split '" + split + "'; allowed: train, val, test");
  }
  if (sources->empty()) {
    throw UsageError(SourceLocation{data.source.string()},
                     "the data yaml has no '" + split + "' split");
  }
  require_dataset(data);
  if (options.nc == 0) options.nc = data.nc;
  return scan_yolo_dataset(*sources, options);
}

}  // namespace qyolo::data
