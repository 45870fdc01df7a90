#include "qyolo/data/yolo_dataset.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <tuple>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"
#include "qyolo/data/byte_text.h"
#include "qyolo/data/image_check.h"

namespace qyolo::data {
namespace fs = std::filesystem;
namespace {

// 2: CBOR instead of JSON text, whose strings must be UTF-8 while file names and label lines
// are arbitrary bytes. Caches of other versions are rebuilt.
constexpr int kCacheVersion = 2;

// fnmatch for one path component: '*' any run, '?' one character.
bool wildcard_match(const char* pattern, const char* name) {
  if (*pattern == '\0') return *name == '\0';
  if (*pattern == '*') {
    return wildcard_match(pattern + 1, name) ||
           (*name != '\0' && wildcard_match(pattern, name + 1));
  }
  return *name != '\0' && (*pattern == '?' || *pattern == *name) &&
         wildcard_match(pattern + 1, name + 1);
}

void add_folder(const fs::path& folder, bool recursive, const std::string& name_pattern,
                std::vector<fs::path>& out) {
  auto consider = [&](const fs::directory_entry& entry) {
    if (entry.is_regular_file() && is_image_file(entry.path()) &&
        wildcard_match(name_pattern.c_str(), entry.path().filename().c_str())) {
      out.push_back(entry.path());
    }
  };
  if (recursive) {
    for (const auto& entry : fs::recursive_directory_iterator(folder)) consider(entry);
  } else {
    for (const auto& entry : fs::directory_iterator(folder)) consider(entry);
  }
}

// "dir/*.jpg" or "dir/**/*.jpg": wildcards only in the file name, "**" for any depth.
void add_glob(const fs::path& pattern, std::vector<fs::path>& out) {
  fs::path folder = pattern.parent_path();
  bool recursive = false;
  if (folder.filename() == "**") {
    recursive = true;
    folder = folder.parent_path();
  }
  if (folder.empty()) folder = ".";
  if (folder.string().find_first_of("*?") != std::string::npos) {
    throw Error(SourceLocation{pattern.string()},
                "wildcards are allowed in the file name and as a '**' folder only");
  }
  if (!fs::is_directory(folder)) {
    throw Error(SourceLocation{folder.string()},
                "image folder of the pattern '" + pattern.string() + "' does not exist");
  }
  add_folder(folder, recursive, pattern.filename().string(), out);
}

void add_list_file(const fs::path& list, std::vector<fs::path>& out) {
  std::istringstream lines(read_file(list, "the image list"));
  std::string line;
  while (std::getline(lines, line)) {
    line.erase(line.find_last_not_of(" \t\r\n") + 1);
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.empty()) continue;
    fs::path image(line);
    if (image.is_relative()) image = list.parent_path() / image;
    out.push_back(image.lexically_normal());
  }
}

// Splits a label line into numbers; false when a field is not a finite number.
bool parse_numbers(const std::string& line, std::vector<double>& values) {
  values.clear();
  const char* p = line.c_str();
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r') ++p;
    if (*p == '\0') return p == line.c_str() + line.size();  // a NUL byte inside is not a number
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p || !std::isfinite(v) ||
        (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\r')) {
      return false;
    }
    values.push_back(v);
    p = end;
  }
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

int64_t mtime_ns(const fs::path& path) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             fs::last_write_time(path).time_since_epoch())
      .count();
}

// What a scan found for one image: kept in the cache and replayed on later scans.
struct ScannedImage {
  int64_t image_bytes = -1, image_mtime = 0, label_bytes = -1, label_mtime = 0;
  bool usable = false;
  bool has_label_file = false;
  std::vector<BadInputEvent> events;
  LabeledImage item;
};

nlohmann::json to_json(const ScannedImage& s) {
  nlohmann::json events = nlohmann::json::array();
  for (const BadInputEvent& e : s.events) {
    events.push_back({{"kind", static_cast<int>(e.kind)},
                      {"file", e.where.file},
                      {"line", e.where.line},
                      {"why", e.why}});
  }
  return {{"image_bytes", s.image_bytes},
          {"image_mtime", s.image_mtime},
          {"label_bytes", s.label_bytes},
          {"label_mtime", s.label_mtime},
          {"usable", s.usable},
          {"events", events},
          {"width", s.item.width},
          {"height", s.item.height},
          {"cls", s.item.labels.cls},
          {"boxes", s.item.labels.boxes},
          {"segments", s.item.labels.segments}};
}

ScannedImage from_json(const nlohmann::json& j, const std::string& image_path) {
  ScannedImage s;
  j.at("image_bytes").get_to(s.image_bytes);
  j.at("image_mtime").get_to(s.image_mtime);
  j.at("label_bytes").get_to(s.label_bytes);
  j.at("label_mtime").get_to(s.label_mtime);
  j.at("usable").get_to(s.usable);
  s.has_label_file = s.label_bytes >= 0;
  for (const auto& e : j.at("events")) {
    s.events.push_back({static_cast<BadInputEvent::Kind>(e.at("kind").get<int>()),
                        SourceLocation{e.at("file").get<std::string>(), e.at("line").get<int>()},
                        e.at("why").get<std::string>()});
  }
  s.item.image_path = image_path;
  j.at("width").get_to(s.item.width);
  j.at("height").get_to(s.item.height);
  j.at("cls").get_to(s.item.labels.cls);
  j.at("boxes").get_to(s.item.labels.boxes);
  j.at("segments").get_to(s.item.labels.segments);
  return s;
}

// File size and modification time, or (-1, 0) when the file does not exist.
std::pair<int64_t, int64_t> file_key(const fs::path& path) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec || !fs::is_regular_file(path)) return {-1, 0};
  return {static_cast<int64_t>(bytes), mtime_ns(path)};
}

ScannedImage scan_one(const fs::path& image, const fs::path& label, int nc) {
  ScannedImage s;
  s.item.image_path = image.string();
  std::tie(s.image_bytes, s.image_mtime) = file_key(image);
  std::tie(s.label_bytes, s.label_mtime) = file_key(label);
  s.has_label_file = s.label_bytes >= 0;
  BadInputLog collect(/*strict=*/false, /*echo=*/false);
  const ImageCheck check = check_image(image);
  if (!check.ok()) {
    collect.image_skipped(SourceLocation{image.string()}, check.problem);
  } else {
    s.usable = true;
    s.item.width = check.width;
    s.item.height = check.height;
    if (s.has_label_file) {
      s.item.labels = parse_yolo_labels(read_file(label, "the label file"), label, nc, collect);
    }
  }
  s.events = collect.events();
  return s;
}

fs::path cache_path_for(const fs::path& first_label) {
  return fs::path(first_label.parent_path()).replace_extension(".cache");
}

}  // namespace

std::vector<fs::path> list_images(const std::vector<fs::path>& sources) {
  std::vector<fs::path> images;
  for (const fs::path& source : sources) {
    const std::string text = source.string();
    if (text.find_first_of("*?") != std::string::npos) {
      add_glob(source, images);
    } else if (fs::is_directory(source)) {
      add_folder(source, true, "*", images);
    } else if (fs::is_regular_file(source) && source.extension() == ".txt") {
      add_list_file(source, images);
    } else if (fs::is_regular_file(source)) {
      images.push_back(source);
    } else {
      throw Error(SourceLocation{text},
                  "image source does not exist (expected an image file, a "
                  "folder, a .txt list of images or a glob pattern)");
    }
  }
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  if (images.empty()) {
    std::string named;
    for (const auto& s : sources) named += (named.empty() ? "" : ", ") + s.string();
    throw Error("no images found in " + (named.empty() ? std::string("(no sources)") : named));
  }
  return images;
}

fs::path image_to_label_path(const fs::path& image, const std::string& labels_dir) {
  std::string text = image.string();
  const std::string images_part = "/images/";
  const size_t at = text.rfind(images_part);
  if (at != std::string::npos) text.replace(at, images_part.size(), "/" + labels_dir + "/");
  return fs::path(text).replace_extension(".txt");
}

ImageLabels parse_yolo_labels(const std::string& text, const fs::path& label_path, int nc,
                              BadInputLog& log) {
  std::vector<std::pair<int, std::vector<double>>> rows;  // (line number, values)
  bool polygon_file = false;
  {
    std::istringstream lines(text);
    std::string line;
    std::vector<double> values;
    for (int number_of_line = 1; std::getline(lines, line); ++number_of_line) {
      const SourceLocation where{label_path.string(), number_of_line};
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (!parse_numbers(line, values)) {
        log.line_dropped(where, "'" + escape_bytes(line) + "' is not a row of numbers");
        continue;
      }
      polygon_file = polygon_file || values.size() > 6;
      rows.emplace_back(number_of_line, values);
    }
  }
  ImageLabels labels;
  int duplicates = 0;
  for (const auto& [line, v] : rows) {
    const SourceLocation where{label_path.string(), line};
    const size_t n = v.size();
    if (n != 5 && !(n >= 7 && n % 2 == 1)) {
      log.line_dropped(where, "got " + std::to_string(n) +
                                  " values; allowed: 5 (class cx cy w h) or 1 + 2k with k >= 3 "
                                  "(class x1 y1 ... xk yk)");
      continue;
    }
    const double cls = v[0];
    if (cls < 0 || cls != std::floor(cls) || (nc > 0 && cls >= nc)) {
      log.line_dropped(where, "class id " + number(cls) + " is not an integer in [0, " +
                                  (nc > 0 ? std::to_string(nc - 1) : std::string("nc-1")) + "]");
      continue;
    }
    auto out_of_range = [&](const std::vector<double>& values) {
      const auto outside =
          std::find_if(values.begin(), values.end(), [](double x) { return x < 0.0 || x > 1.0; });
      if (outside == values.end()) return false;
      log.line_dropped(where, "coordinate " + number(*outside) +
                                  " is outside [0, 1] (labels are normalised to the image size)");
      return true;
    };
    std::array<float, 4> box{};
    Segment segment;
    if (n == 5) {
      if (polygon_file) {
        log.line_dropped(where,
                         "degenerate segment: a box row in a file of polygons (a polygon "
                         "needs at least 3 points)");
        continue;
      }
      if (out_of_range({v[1], v[2], v[3], v[4]})) continue;
      if (v[3] <= 0.0 || v[4] <= 0.0) {
        log.line_dropped(where, "degenerate box: width and height must be > 0");
        continue;
      }
      box = {static_cast<float>(v[1]), static_cast<float>(v[2]), static_cast<float>(v[3]),
             static_cast<float>(v[4])};
    } else {
      double x0 = v[1], y0 = v[2], x1 = v[1], y1 = v[2];
      for (size_t i = 1; i < n; i += 2) {
        segment.push_back({static_cast<float>(v[i]), static_cast<float>(v[i + 1])});
        x0 = std::min(x0, v[i]);
        x1 = std::max(x1, v[i]);
        y0 = std::min(y0, v[i + 1]);
        y1 = std::max(y1, v[i + 1]);
      }
      // ultralytics segments2boxes: the box is the polygon's bounds. As ultralytics, the range
      // check applies to that box, so points slightly past the border are tolerated.
      const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, w = x1 - x0, h = y1 - y0;
      if (out_of_range({cx, cy, w, h})) continue;
      if (w <= 0.0 || h <= 0.0) {
        log.line_dropped(where, "degenerate segment: its points span no area");
        continue;
      }
      box = {static_cast<float>(cx), static_cast<float>(cy), static_cast<float>(w),
             static_cast<float>(h)};
    }
    bool duplicate = false;
    for (size_t k = 0; k < labels.size() && !duplicate; ++k) {
      duplicate = labels.cls[k] == static_cast<int>(cls) && labels.boxes[k] == box;
    }
    if (duplicate) {
      ++duplicates;
      continue;
    }
    labels.cls.push_back(static_cast<int>(cls));
    labels.boxes.push_back(box);
    if (polygon_file) labels.segments.push_back(std::move(segment));
  }
  if (duplicates > 0) log.duplicates_removed(SourceLocation{label_path.string()}, duplicates);
  return labels;
}

void write_yolo_labels(const fs::path& path, const ImageLabels& labels, bool segments) {
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(SourceLocation{path.string()}, "cannot write the label file");
  const bool polygons = segments && labels.segments.size() == labels.size();
  char buffer[32];
  for (size_t i = 0; i < labels.size(); ++i) {
    file << labels.cls[i];
    auto put = [&](float x) {
      std::snprintf(buffer, sizeof(buffer), " %.6g", static_cast<double>(x));
      file << buffer;
    };
    if (polygons) {
      for (const auto& point : labels.segments[i]) {
        put(point[0]);
        put(point[1]);
      }
    } else {
      for (float x : labels.boxes[i]) put(x);
    }
    file << '\n';
  }
  if (!file) throw Error(SourceLocation{path.string()}, "writing the label file failed");
}

ScanResult scan_yolo_dataset(const std::vector<fs::path>& sources, const ScanOptions& options) {
  const std::vector<fs::path> images = list_images(sources);
  std::vector<fs::path> label_paths;
  label_paths.reserve(images.size());
  for (const auto& image : images) {
    label_paths.push_back(image_to_label_path(image, options.labels_dir));
  }
  ScanResult result;
  nlohmann::json cached_entries = nlohmann::json::object();
  if (options.cache) {
    result.cache_path = cache_path_for(label_paths.front());
    if (fs::is_regular_file(result.cache_path)) {
      std::error_code unreadable;  // an unreadable cache is rebuilt, as a damaged one is
      const nlohmann::json cache = nlohmann::json::from_cbor(
          read_file(result.cache_path, unreadable), /*strict=*/true, /*allow_exceptions=*/false);
      if (cache.is_object() && cache.value("version", 0) == kCacheVersion &&
          cache.value("nc", -1) == options.nc &&
          cache.value("labels_dir", "") == options.labels_dir && cache.contains("images") &&
          cache["images"].is_object()) {
        cached_entries = cache["images"];
      }
    }
  }
  BadInputLog log(options.strict);
  nlohmann::json new_entries = nlohmann::json::object();
  int reused = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string key = images[i].string();
    std::optional<ScannedImage> scanned;
    const auto hit = cached_entries.find(key);
    if (hit != cached_entries.end()) {
      try {
        ScannedImage s = from_json(*hit, key);
        if (file_key(images[i]) == std::make_pair(s.image_bytes, s.image_mtime) &&
            file_key(label_paths[i]) == std::make_pair(s.label_bytes, s.label_mtime)) {
          scanned = std::move(s);
          ++reused;
        }
      } catch (const nlohmann::json::exception&) {
        // A damaged cache entry is rescanned like a new file.
      }
    }
    if (!scanned) scanned = scan_one(images[i], label_paths[i], options.nc);
    // Problems are reported on every scan, cached or not (under strict this throws).
    for (const BadInputEvent& event : scanned->events) log.replay(event);
    if (scanned->usable) {
      if (!scanned->has_label_file) {
        log.missing_labels();
      } else if (scanned->item.labels.size() == 0) {
        log.empty_labels();
      }
      result.images.push_back(scanned->item);
    }
    if (options.cache) new_entries[key] = to_json(*scanned);
  }
  if (options.cache && reused != static_cast<int>(images.size())) {
    const nlohmann::json cache = {{"version", kCacheVersion},
                                  {"nc", options.nc},
                                  {"labels_dir", options.labels_dir},
                                  {"images", new_entries}};
    const std::vector<uint8_t> bytes = nlohmann::json::to_cbor(cache);
    try {
      write_file_atomic(result.cache_path, std::string(bytes.begin(), bytes.end()));
    } catch (const std::exception& e) {
      spdlog::warn("{}: cannot write the label cache ({}); continuing without it",
                   result.cache_path.string(), e.what());
    }
  }
  result.from_cache = reused;
  result.counts = log.counts();
  result.summary = log.summary();
  const BadInputCounts& c = result.counts;
  spdlog::info("{}: {} images ({} from cache), {} without labels, {} with empty labels{}{}",
               label_paths.front().parent_path().string(), images.size(), reused, c.missing_labels,
               c.empty_labels, result.summary.empty() ? "" : "; ", result.summary);
  if (result.images.empty()) {
    throw Error(SourceLocation{images.front().parent_path().string()},
                "no usable images in the data set (" + std::to_string(images.size()) +
                    " found, all skipped: see log)");
  }
  return result;
}

}  // namespace qyolo::data
