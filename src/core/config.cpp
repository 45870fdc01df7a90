#include "qyolo/core/config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>

#include "qyolo/core/error.h"
#include "qyolo/core/install_location.h"

namespace qyolo::config {
namespace {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// Config fields are bools, numbers, strings, lists, or sections (structs with a visit method).
template <class T>
constexpr bool has_visit() {
  if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string> && !is_vector<T>::value) {
    return true;
  } else {
    return false;
  }
}

std::string shortest_double(double x) {
  for (int precision = 6; precision <= 17; ++precision) {
    std::ostringstream os;
    os.precision(precision);
    os << x;
    if (std::strtod(os.str().c_str(), nullptr) == x) {
      std::string s = os.str();
      // Keep a float looking like a float so it reloads into a double field unambiguously.
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      return s;
    }
  }
  return std::to_string(x);
}

std::string describe_check(const Range& r, bool integer) {
  auto fmt = [&](double v) {
    return integer ? std::to_string(static_cast<long long>(v)) : shortest_double(v);
  };
  return std::string(integer ? "an integer" : "a number") + " in [" + fmt(r.min) + ", " +
         fmt(r.max) + "]";
}

std::string describe_check(const OneOf& c) {
  std::string s = "one of ";
  for (size_t i = 0; i < c.values.size(); ++i) s += (i ? ", " : "") + c.values[i];
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsNull()) return "an empty value";
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// Where each value came from: its YAML mark in the config file, or the --set flag.
struct Origins {
  std::filesystem::path file;
  std::map<std::string, std::string> overrides;  // dotted key -> the --set text

  SourceLocation at(const std::string& key, const YAML::Node& node) const {
    for (const auto& [path, text] : overrides) {
      if (key == path || key.rfind(path + ".", 0) == 0 || key.rfind(path + "[", 0) == 0) {
        return SourceLocation{"--set " + text, -1, -1};
      }
    }
    const YAML::Mark m = node.Mark();
    return SourceLocation{file.string(), m.is_null() ? -1 : m.line + 1,
                          m.is_null() ? -1 : m.column + 1};
  }
};

// Reads one YAML mapping into a section struct, checking types, ranges and unknown keys.
class Reader {
 public:
  Reader(const YAML::Node& node, std::string prefix, const Origins& origins)
      : node_(node), prefix_(std::move(prefix)), origins_(origins) {}

  template <class T, class Check>
  void operator()(const char* key, T& out, const Check& check) {
    known_.push_back(key);
    const YAML::Node value = node_[key];
    if (!value.IsDefined()) return;
    // `train:` with no keys keeps the section's defaults; an empty value (`epochs:`) is an error,
    // not a silent fall back to the default.
    if constexpr (has_visit<T>()) {
      if (value.IsNull()) return;
    }
    key_node_.reset(key_node(key));  // rebinds; assigning a Node would overwrite the key
    read(dotted(key), value, out, check);
  }

  // After visiting: every key present must have been visited.
  void finish() const {
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      std::string closest;
      size_t best = 3;
      for (const auto& k : known_) {
        const size_t d = edit_distance(key, k);
        if (d < best) best = d, closest = k;
      }
      std::string msg = "unknown key '" + dotted(key) + "'.";
      if (!closest.empty()) msg += " Did you mean '" + dotted(closest) + "'?";
      msg += " Allowed keys" + std::string(prefix_.empty() ? "" : " of '" + prefix_ + "'") + ": ";
      for (size_t i = 0; i < known_.size(); ++i) msg += (i ? ", " : "") + known_[i];
      msg += ".";
      throw UsageError(origins_.at(dotted(key), kv.first), msg);
    }
  }

 private:
  std::string dotted(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  // The node of `key` itself (an empty value's mark points past the line that holds it).
  YAML::Node key_node(const std::string& key) const {
    for (const auto& kv : node_) {
      if (kv.first.Scalar() == key) return kv.first;
    }
    return {};
  }

  [[noreturn]] void fail(const std::string& key, const YAML::Node& v,
                         const std::string& expected) const {
    const bool empty = v.IsNull() && key_node_.IsDefined();
    throw UsageError(origins_.at(key, empty ? key_node_ : v),
                     "'" + key + "' got " + scalar_text(v) + ", expected " + expected + ".");
  }

  void read(const std::string& key, const YAML::Node& v, bool& out, const Any&) const {
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) fail(key, v, "true or false");
    out = b;
  }

  void read(const std::string& key, const YAML::Node& v, std::string& out, const Any&) const {
    if (!v.IsScalar()) fail(key, v, "a string");
    out = v.Scalar();
  }

  void read(const std::string& key, const YAML::Node& v, std::string& out,
            const OneOf& check) const {
    if (!v.IsScalar()) fail(key, v, describe_check(check));
    const std::string s = v.Scalar();
    if (std::find(check.values.begin(), check.values.end(), s) == check.values.end()) {
      fail(key, v, describe_check(check));
    }
    out = s;
  }

  void read(const std::string& key, const YAML::Node& v, double& out, const Range& r) const {
    double d = 0;
    if (!v.IsScalar() || !YAML::convert<double>::decode(v, d) || !std::isfinite(d) || d < r.min ||
        d > r.max) {
      fail(key, v, describe_check(r, false));
    }
    out = d;
  }

  void read(const std::string& key, const YAML::Node& v, int& out, const Range& r) const {
    long long i = 0;
    if (!v.IsScalar() || !YAML::convert<long long>::decode(v, i) || i < r.min || i > r.max) {
      fail(key, v, describe_check(r, true));
    }
    out = static_cast<int>(i);
  }

  void read(const std::string& key, const YAML::Node& v, std::vector<std::string>& out,
            const Any&) const {
    if (v.IsScalar()) {
      out = {v.Scalar()};
      return;
    }
    if (!v.IsSequence()) fail(key, v, "a list of strings");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) fail(key + "[" + std::to_string(i) + "]", v[i], "a string");
      out.push_back(v[i].Scalar());
    }
  }

  template <class Section>
  void read(const std::string& key, const YAML::Node& v, std::vector<Section>& out,
            const Any&) const {
    if (!v.IsSequence()) fail(key, v, "a list of mappings");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      if (!v[i].IsMap()) fail(item_key, v[i], "a mapping");
      Section s;
      Reader r(v[i], item_key, origins_);
      s.visit(r);
      r.finish();
      out.push_back(std::move(s));
    }
  }

  template <class Section, class = std::enable_if_t<has_visit<Section>()>>
  void read(const std::string& key, const YAML::Node& v, Section& out, const Any&) const {
    if (!v.IsMap()) fail(key, v, "a mapping");
    Reader r(v, key, origins_);
    out.visit(r);
    r.finish();
  }

  const YAML::Node node_;
  std::string prefix_;
  const Origins& origins_;
  std::vector<std::string> known_;
  YAML::Node key_node_;  // the key being read
};

// Writes a section struct as a YAML mapping (the resolved config saved with every run).
class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}

  template <class T, class Check>
  void operator()(const char* key, const T& value, const Check&) {
    out_ << YAML::Key << key << YAML::Value;
    write(value);
  }

 private:
  void write(bool b) { out_ << (b ? "true" : "false"); }
  void write(int i) { out_ << i; }
  void write(double d) { out_ << shortest_double(d); }
  void write(const std::string& s) {
    if (s.empty()) {
      out_ << YAML::DoubleQuoted << s;
    } else {
      out_ << s;
    }
  }
  void write(const std::vector<std::string>& v) {
    out_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : v) out_ << s;
    out_ << YAML::EndSeq;
  }
  template <class Section>
  void write(const std::vector<Section>& v) {
    out_ << YAML::BeginSeq;
    for (const auto& s : v) write(s);
    out_ << YAML::EndSeq;
  }
  template <class Section, class = std::enable_if_t<has_visit<Section>()>>
  void write(const Section& s) {
    out_ << YAML::BeginMap;
    const_cast<Section&>(s).visit(*this);
    out_ << YAML::EndMap;
  }

  YAML::Emitter& out_;
};

YAML::Node load_yaml_file(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) {
    throw UsageError("config file '" + path.string() + "' is a directory, expected a YAML file");
  }
  std::ifstream f(path);
  if (!f) {
    throw UsageError("cannot open config file '" + path.string() +
                     "': no such file or not readable (configs ship in " + configs_dir().string() +
                     ")");
  }
  try {
    YAML::Node n = YAML::Load(f);
    return n.IsNull() ? YAML::Node(YAML::NodeType::Map) : n;
  } catch (const YAML::Exception& e) {
    throw UsageError(SourceLocation{path.string(), e.mark.line + 1, e.mark.column + 1},
                     "invalid YAML: " + e.msg);
  }
}

// Applies "a.b.c=value" to the tree; value is parsed as YAML so lists and numbers work.
void apply_override(YAML::Node root, const std::string& text, Origins& origins) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("--set expects section.key=value, got '" + text + "'");
  }
  const std::string path = text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw UsageError("--set " + text + ": the value is not valid YAML (" + e.msg + ")");
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  // yaml-cpp nodes are handles: walking with operator[] on copies edits the shared tree.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = chain.back()[parts[i]];
    if (child.IsDefined() && !child.IsNull() && !child.IsMap()) {
      throw UsageError("--set " + text + ": '" + parts[i] + "' is not a section");
    }
    chain.push_back(child);
  }
  // An empty value for a single key is reported by the reader with what the key allows; for a
  // whole section it would silently drop the file's settings.
  if (value.IsNull() && chain.back()[parts.back()].IsMap()) {
    throw UsageError("--set " + text + ": no value after '=' for the section '" + path +
                     "'; set one of its keys, e.g. --set " + path + ".<key>=<value>");
  }
  chain.back()[parts.back()] = value;
  origins.overrides[path] = text;
}

ExperimentConfig parse(YAML::Node root, const Origins& origins) {
  if (!root.IsMap()) {
    throw UsageError(SourceLocation{origins.file.string(), 1, 1},
                     "an experiment config must be a mapping with keys model, data, hyp, "
                     "train, quant, eval");
  }
  ExperimentConfig cfg;
  Reader r(root, "", origins);
  cfg.visit(r);
  r.finish();
  cfg.source = origins.file;
  return cfg;
}

// A file a config names must exist when the config loads: found missing later, the error could
// no longer point at the config's line.
void require_named_file(const std::string& key, const std::string& name, const YAML::Node& node,
                        const std::filesystem::path& base_dir, const Origins& origins) {
  const auto tried = path_candidates(name, base_dir);
  for (const auto& p : tried) {
    if (std::filesystem::is_regular_file(p)) return;
  }
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
  throw UsageError(origins.at(key, node),
                   "'" + key + "' names '" + name + "', which is not a file; tried " + list);
}

// `hyp: file.yaml` is replaced by the file's mapping; `--set hyp.lr0=...` edits it afterwards.
void inline_hyp(YAML::Node root, const std::filesystem::path& base_dir, const Origins& origins) {
  YAML::Node hyp = root["hyp"];
  if (!hyp.IsDefined() || !hyp.IsScalar()) return;
  require_named_file("hyp", hyp.Scalar(), hyp, base_dir, origins);
  const auto file = resolve_path(hyp.Scalar(), base_dir);
  YAML::Node loaded = load_yaml_file(file);
  if (!loaded.IsMap()) {
    throw UsageError(SourceLocation{file.string(), 1, 1}, "a hyp file must be a mapping");
  }
  root["hyp"] = loaded;
}

// Applies the config's hyp file and the overrides. A `hyp=FILE` override replaces the hyp section
// first, whatever its position, so `hyp.<key>=` overrides always edit the file that is used.
void apply_overrides(YAML::Node root, const std::vector<std::string>& overrides,
                     const std::filesystem::path& base_dir, Origins& origins) {
  const auto names_hyp_file = [](const std::string& o) { return o.rfind("hyp=", 0) == 0; };
  inline_hyp(root, base_dir, origins);
  for (const auto& o : overrides)
    if (names_hyp_file(o)) apply_override(root, o, origins);
  inline_hyp(root, base_dir, origins);
  for (const auto& o : overrides)
    if (!names_hyp_file(o)) apply_override(root, o, origins);
}

}  // namespace

std::filesystem::path configs_dir() {
  if (const char* env = std::getenv("QYOLO_CONFIGS"); env && *env) return env;
  if (auto installed = installed_configs_dir()) return *std::move(installed);
  return QYOLO_SOURCE_CONFIGS;
}

std::vector<std::filesystem::path> path_candidates(const std::string& name,
                                                   const std::filesystem::path& base_dir) {
  const std::filesystem::path p(name);
  if (p.empty() || p.is_absolute()) return {p};
  std::vector<std::filesystem::path> candidates{p};
  if (!base_dir.empty()) candidates.push_back(base_dir / p);
  candidates.push_back(configs_dir() / p);
  return candidates;
}

std::filesystem::path resolve_path(const std::string& name, const std::filesystem::path& base_dir) {
  for (const auto& candidate : path_candidates(name, base_dir)) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return name;
}

ExperimentConfig load_experiment(const std::filesystem::path& path,
                                 const std::vector<std::string>& overrides) {
  const auto file = resolve_path(path.string());
  Origins origins{file, {}};
  YAML::Node root = load_yaml_file(file);
  apply_overrides(root, overrides, file.parent_path(), origins);
  ExperimentConfig cfg = parse(root, origins);
  if (!cfg.model.empty())
    require_named_file("model", cfg.model, root["model"], file.parent_path(), origins);
  return cfg;
}

ExperimentConfig parse_experiment(const std::string& yaml_text, const std::string& origin,
                                  const std::vector<std::string>& overrides) {
  Origins origins{origin, {}};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw UsageError(SourceLocation{origin, e.mark.line + 1, e.mark.column + 1},
                     "invalid YAML: " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  apply_overrides(root, overrides, {}, origins);
  return parse(root, origins);
}

ExperimentConfig default_experiment(const std::vector<std::string>& overrides) {
  Origins origins{"<defaults>", {}};
  YAML::Node root(YAML::NodeType::Map);
  apply_overrides(root, overrides, {}, origins);
  return parse(root, origins);
}

Hyp load_hyp(const std::filesystem::path& path) {
  const auto file = resolve_path(path.string());
  Origins origins{file, {}};
  Hyp hyp;
  Reader r(load_yaml_file(file), "hyp", origins);
  hyp.visit(r);
  r.finish();
  return hyp;
}

std::string to_yaml(const ExperimentConfig& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Writer w(out);
  const_cast<ExperimentConfig&>(cfg).visit(w);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace qyolo::config
