// parse_model: builds the layers of a Model from the ultralytics/yolov7 model yaml format.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <optional>
#include <sstream>

#include "qyolo/core/error.h"
#include "qyolo/nn/activation.h"
#include "qyolo/nn/concat.h"
#include "qyolo/nn/conv.h"
#include "qyolo/nn/csp.h"
#include "qyolo/nn/focus.h"
#include "qyolo/nn/model.h"
#include "qyolo/nn/pool.h"
#include "qyolo/nn/rep_conv.h"
#include "qyolo/nn/spp.h"

namespace qyolo::nn {
namespace {

using Runner = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

// The modules a model yaml may name, with their yaml arguments (after `from, number, module`).
struct ModuleSpec {
  size_t min_args;
  size_t max_args;
  const char* signature;
};

const std::map<std::string, ModuleSpec>& module_specs() {
  static const std::map<std::string, ModuleSpec> specs = {
      {"Conv",
       {1, 7, "[c2, k=1, s=1, p=None, g=1, d=1, act=True] (yolov7: [c2, k, s, p, g, act])"}},
      {"Focus", {1, 6, "[c2, k=1, s=1, p=None, g=1, act=True]"}},
      {"Bottleneck", {1, 4, "[c2, shortcut=True, g=1, e=0.5]"}},
      {"C3", {1, 4, "[c2, shortcut=True, g=1, e=0.5]"}},
      {"SPP", {1, 2, "[c2, k=[5, 9, 13]]"}},
      {"SPPF", {1, 2, "[c2, k=5]"}},
      {"SPPCSPC", {1, 5, "[c2, shortcut=False, g=1, e=0.5, k=[5, 9, 13]]"}},
      {"RepConv", {1, 6, "[c2, k=3, s=1, p=None, g=1, act=True]"}},
      {"MP", {0, 1, "[k=2]"}},
      {"SP", {0, 2, "[k=3, s=1]"}},
      {"Concat", {0, 1, "[dimension=1]"}},
      {"nn.Upsample", {2, 3, "[None, scale_factor, mode='nearest']"}},
      {"Detect", {2, 2, "[nc, anchors]"}},
      {"IDetect", {2, 2, "[nc, anchors]"}},
      {"Segment", {2, 4, "[nc, anchors, nm=32, npr=256]"}},
  };
  return specs;
}

std::string allowed_modules() {
  std::ostringstream out;
  out << "Allowed modules and their args:";
  for (const auto& [name, spec] : module_specs())
    out << " " << name << " " << spec.signature << ";";
  return out.str();
}

const char* kRowHelp =
    "Each backbone/head entry is [from, number, module, args]: from is -1 (previous layer), an "
    "earlier layer index (absolute, or negative relative to this layer) or a list of them; number "
    "is a positive repeat count scaled by depth_multiple; args is a list.";

int64_t make_divisible(double x, int64_t divisor) {
  return static_cast<int64_t>(std::ceil(x / static_cast<double>(divisor))) * divisor;
}

bool is_head(const std::string& module) {
  return module == "Detect" || module == "IDetect" || module == "Segment";
}

}  // namespace

class ModelBuilder {
 public:
  ModelBuilder(ModelImpl& model, const YamlSource& source, int64_t nc_override)
      : model_(model), source_(source), nc_override_(nc_override) {}

  void build();

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const auto mark = node.Mark();
    SourceLocation where{source_.origin, mark.line >= 0 ? mark.line + 1 : -1,
                         mark.column >= 0 ? mark.column + 1 : -1};
    throw UsageError(where, message);
  }
  [[noreturn]] void fail_arg(const YAML::Node& node, const std::string& problem) const {
    const auto& spec = module_specs().at(module_);
    fail(node, "layer " + std::to_string(index_) + " (" + module_ + "): " + problem + ". " +
                   module_ + " takes args " + spec.signature + ".");
  }

  YAML::Node root_key(const char* key, const char* help) const;
  int64_t scalar_int(const YAML::Node& node, const std::string& what) const;
  double scalar_double(const YAML::Node& node, const std::string& what) const;
  // depth_multiple / width_multiple: a number above 0.
  double positive_gain(const char* key, const char* help) const;
  std::string scalar_text(const YAML::Node& node) const;

  // Layer arguments (the yaml's args list of the current row).
  YAML::Node arg(size_t i) const { return i < args_.size() ? args_[i] : YAML::Node(); }
  bool has(size_t i) const { return i < args_.size() && !is_none(args_[i]); }
  static bool is_none(const YAML::Node& node);
  int64_t int_arg(size_t i, const char* name, int64_t fallback) const;
  double double_arg(size_t i, const char* name, double fallback) const;
  bool bool_arg(size_t i, const char* name, bool fallback) const;
  std::vector<int64_t> ints_arg(size_t i, const char* name, std::vector<int64_t> fallback) const;
  Activation act_arg(size_t i) const;
  std::vector<std::vector<double>> anchors_arg(size_t i, size_t levels) const;
  std::string render(const YAML::Node& node) const;

  std::vector<int> parse_from(const YAML::Node& node) const;
  int64_t channels_of(int from) const {
    return from < 0 ? channels_[channels_.size() + from] : channels_[from];
  }
  void add_layer(const YAML::Node& row);

  ModelImpl& model_;
  const YamlSource& source_;
  int64_t nc_override_;
  YAML::Node root_;
  int64_t nc_ = 0;
  double depth_gain_ = 1, width_gain_ = 1;
  YAML::Node anchors_;
  int64_t no_ = 0;  // na·(nc+5): output channels that width scaling leaves alone
  bool yolov7_ = false;
  Activation default_act_;  // shared by all convs (ultralytics) or empty (yolov7: one each)
  std::vector<int64_t> channels_;
  std::vector<int> saved_;
  int index_ = 0;
  int layer_count_ = 0;
  std::string module_;
  YAML::Node args_;
};

bool ModelBuilder::is_none(const YAML::Node& node) {
  if (!node || node.IsNull()) return true;
  if (!node.IsScalar()) return false;
  const auto& s = node.Scalar();
  return s == "None" || s == "null" || s == "~";
}

std::string ModelBuilder::scalar_text(const YAML::Node& node) const {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

int64_t ModelBuilder::scalar_int(const YAML::Node& node, const std::string& what) const {
  const auto text = scalar_text(node);
  if (text == "nc") return nc_;
  try {
    size_t used = 0;
    const auto value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  fail(node,
       what + " must be an integer, got '" + (node.IsScalar() ? text : "a list or map") + "'");
}

double ModelBuilder::positive_gain(const char* key, const char* help) const {
  const YAML::Node node = root_key(key, help);
  const double gain = scalar_double(node, key);
  if (!(gain > 0) || !std::isfinite(gain)) {
    fail(node,
         std::string(key) + " must be a positive number, got " + scalar_text(node) + ". " + help);
  }
  return gain;
}

double ModelBuilder::scalar_double(const YAML::Node& node, const std::string& what) const {
  const auto text = scalar_text(node);
  try {
    size_t used = 0;
    const auto value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  fail(node, what + " must be a number, got '" + (node.IsScalar() ? text : "a list or map") + "'");
}

int64_t ModelBuilder::int_arg(size_t i, const char* name, int64_t fallback) const {
  if (!has(i)) return fallback;
  const auto text = scalar_text(arg(i));
  if (text != "nc") {
    try {
      size_t used = 0;
      const auto value = std::stoll(text, &used);
      if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    fail_arg(arg(i), std::string("argument ") + name + " must be an integer, got '" +
                         (arg(i).IsScalar() ? text : "a list or map") + "'");
  }
  return nc_;
}

double ModelBuilder::double_arg(size_t i, const char* name, double fallback) const {
  if (!has(i)) return fallback;
  const auto text = scalar_text(arg(i));
  try {
    size_t used = 0;
    const auto value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  fail_arg(arg(i), std::string("argument ") + name + " must be a number, got '" + text + "'");
}

bool ModelBuilder::bool_arg(size_t i, const char* name, bool fallback) const {
  if (!has(i)) return fallback;
  const auto text = scalar_text(arg(i));
  if (text == "True" || text == "true") return true;
  if (text == "False" || text == "false") return false;
  fail_arg(arg(i), std::string("argument ") + name + " must be True or False, got '" + text + "'");
}

std::vector<int64_t> ModelBuilder::ints_arg(size_t i, const char* name,
                                            std::vector<int64_t> fallback) const {
  if (!has(i)) return fallback;
  const auto node = arg(i);
  if (!node.IsSequence() || node.size() == 0) {
    fail_arg(node, std::string("argument ") + name + " must be a non-empty list of integers");
  }
  std::vector<int64_t> values;
  for (const auto& item : node) values.push_back(scalar_int(item, std::string("argument ") + name));
  return values;
}

Activation ModelBuilder::act_arg(size_t i) const {
  if (!has(i)) return default_act_;
  const auto text = scalar_text(arg(i));
  if (text == "True" || text == "true") return default_act_;
  if (text == "False" || text == "false") return make_identity();
  if (auto act = parse_activation(text)) return *act;
  fail_arg(arg(i), "argument act must be True, False or one of " + std::string(activation_help()) +
                       ", got '" + text + "'");
}

std::vector<std::vector<double>> ModelBuilder::anchors_arg(size_t i, size_t levels) const {
  auto node = arg(i);
  if (scalar_text(node) == "anchors") node.reset(anchors_);
  std::vector<std::vector<double>> anchors;
  if (node.IsScalar()) {
    // An anchor count: placeholder anchors 0..2n-1 per level (autoanchor replaces them).
    const auto count = scalar_int(node, "anchors");
    if (count <= 0) fail_arg(node, "the anchor count must be positive");
    std::vector<double> level;
    for (int64_t k = 0; k < 2 * count; ++k) level.push_back(static_cast<double>(k));
    anchors.assign(levels, level);
    return anchors;
  }
  if (!node.IsSequence() || node.size() != levels) {
    fail_arg(node, "anchors must be a list with one [w,h, w,h, ...] list per input layer (" +
                       std::to_string(levels) + ")");
  }
  for (const auto& level : node) {
    if (!level.IsSequence() || level.size() == 0 || level.size() % 2 != 0 ||
        (!anchors.empty() && level.size() != anchors[0].size())) {
      fail(level, "each anchor level must be a list of w,h pixel pairs, the same count per level");
    }
    std::vector<double> values;
    for (const auto& v : level) values.push_back(scalar_double(v, "an anchor size"));
    anchors.push_back(values);
  }
  return anchors;
}

std::string ModelBuilder::render(const YAML::Node& node) const {
  if (node.IsSequence()) {
    std::string out = "[";
    for (size_t i = 0; i < node.size(); ++i) out += (i ? ", " : "") + render(node[i]);
    return out + "]";
  }
  const auto text = scalar_text(node);
  if (text == "nc") return std::to_string(nc_);
  if (text == "anchors") return render(anchors_);
  if (is_none(node)) return "None";
  if (text == "True" || text == "False" || parse_activation(text)) return text;
  try {
    size_t used = 0;
    std::stod(text, &used);
    if (used == text.size()) return text;
  } catch (const std::exception&) {
  }
  return "'" + text + "'";
}

YAML::Node ModelBuilder::root_key(const char* key, const char* help) const {
  YAML::Node found = root_[key];
  if (!found) {
    fail(root_, std::string("the model yaml has no '") + key + "' key. " + help +
                    " A model yaml needs nc, depth_multiple, width_multiple, anchors, backbone "
                    "and head (optional: ch, activation).");
  }
  return found;
}

std::vector<int> ModelBuilder::parse_from(const YAML::Node& node) const {
  std::vector<int> from;
  if (node.IsSequence()) {
    if (node.size() == 0) fail(node, std::string("'from' is an empty list. ") + kRowHelp);
    for (const auto& item : node) from.push_back(static_cast<int>(scalar_int(item, "'from'")));
  } else {
    from.push_back(static_cast<int>(scalar_int(node, "'from'")));
  }
  for (size_t k = 0; k < from.size(); ++k) {
    const int f = from[k];
    const bool ok = f == -1 || (index_ > 0 && f < 0 && index_ + f >= 0) || (f >= 0 && f < index_);
    if (!ok) {
      fail(node.IsSequence() ? node[k] : node,
           "layer " + std::to_string(index_) + ": 'from' index " + std::to_string(f) +
               " does not name an earlier layer (allowed: -1 for the previous layer" +
               (index_ > 0 ? ", 0.." + std::to_string(index_ - 1) + " or -" +
                                 std::to_string(index_) + "..-1"
                           : std::string(" only, for the first layer")) +
               "). " + kRowHelp);
    }
  }
  return from;
}

void ModelBuilder::build() {
  try {
    root_.reset(YAML::Load(source_.text));
  } catch (const YAML::ParserException& e) {
    throw UsageError(SourceLocation{source_.origin, e.mark.line + 1, e.mark.column + 1},
                     "the model yaml is not valid YAML: " + e.msg);
  }
  if (!root_.IsMap())
    fail(root_,
         "a model yaml must be a map with nc, depth_multiple, "
         "width_multiple, anchors, backbone and head");
  const auto nc_node = root_key("nc", "nc is the number of classes.");
  nc_ = scalar_int(nc_node, "nc");
  if (nc_override_ > 0) {
    nc_ = nc_override_;
    root_["nc"] = nc_;
  }
  if (nc_ <= 0) fail(nc_node, "nc must be a positive number of classes");
  depth_gain_ = positive_gain("depth_multiple", "depth_multiple scales repeat counts.");
  width_gain_ = positive_gain("width_multiple", "width_multiple scales channels.");
  anchors_.reset(
      root_key("anchors", "anchors is a list of [w,h, ...] pixel lists per level or a count."));
  int64_t na = 0;
  if (anchors_.IsSequence() && anchors_.size() > 0 && anchors_[0].IsSequence()) {
    na = static_cast<int64_t>(anchors_[0].size()) / 2;
  } else if (anchors_.IsScalar()) {
    na = scalar_int(anchors_, "anchors");
  }
  if (na <= 0)
    fail(anchors_, "anchors must be a list of [w,h, w,h, ...] lists or a positive count");
  no_ = na * (nc_ + 5);
  if (root_["ch"]) model_.input_channels_ = scalar_int(root_["ch"], "ch");
  if (root_["activation"]) {
    auto act = parse_activation(scalar_text(root_["activation"]));
    if (!act) {
      fail(root_["activation"], std::string("unknown activation; allowed: ") + activation_help());
    }
    default_act_ = *act;
  }

  std::vector<YAML::Node> rows;
  for (const char* part : {"backbone", "head"}) {
    const auto list = root_key(part, kRowHelp);
    if (!list.IsSequence()) fail(list, std::string("'") + part + "' must be a list. " + kRowHelp);
    for (const auto& row : list) rows.push_back(row);
  }
  layer_count_ = static_cast<int>(rows.size());
  if (rows.empty()) fail(root_, "the model has no layers");
  // The two reference code bases differ in details (activation sharing, prior biases):
  // an IDetect head marks a yolov7 model.
  const auto& last = rows.back();
  yolov7_ = last.IsSequence() && last.size() == 4 && scalar_text(last[2]) == "IDetect";
  if (!yolov7_ && default_act_.is_empty()) default_act_ = make_silu();

  model_.model_ = model_.register_module("model", torch::nn::ModuleList());
  channels_ = {model_.input_channels_};
  for (index_ = 0; index_ < layer_count_; ++index_) add_layer(rows[index_]);

  model_.keep_.assign(layer_count_, false);
  for (int s : saved_) model_.keep_[s] = true;
  YAML::Emitter emitter;
  emitter << root_;
  model_.yaml_text_ = std::string(emitter.c_str()) + "\n";
}

void ModelBuilder::add_layer(const YAML::Node& row) {
  if (!row.IsSequence() || row.size() != 4) {
    fail(row, "layer " + std::to_string(index_) + " is not a 4-element list. " + kRowHelp);
  }
  const auto from = parse_from(row[0]);
  const auto number = scalar_int(row[1], "layer " + std::to_string(index_) + " number");
  if (number < 1) fail(row[1], "layer " + std::to_string(index_) + ": number must be >= 1");
  module_ = scalar_text(row[2]);
  const auto spec = module_specs().find(module_);
  if (spec == module_specs().end()) {
    fail(row[2], "layer " + std::to_string(index_) + ": unknown module '" + module_ + "'. " +
                     allowed_modules());
  }
  args_.reset(row[3]);  // rebind; Node assignment would overwrite the previous row's args
  if (!args_.IsSequence()) fail_arg(row[3], "args must be a list");
  if (args_.size() < spec->second.min_args || args_.size() > spec->second.max_args) {
    fail_arg(row[3], "got " + std::to_string(args_.size()) + " args, expected " +
                         std::to_string(spec->second.min_args) + ".." +
                         std::to_string(spec->second.max_args));
  }
  const bool head = is_head(module_);
  if (head != (index_ == layer_count_ - 1)) {
    fail(row[2],
         "layer " + std::to_string(index_) + " (" + module_ + "): " +
             (head ? "a detection head must be the last layer"
                   : "the last layer must be a detection head (Detect, Segment or IDetect)"));
  }
  const bool single_input = !row[0].IsSequence();
  const bool multi_input = head || module_ == "Concat";
  if (multi_input == single_input) {
    fail(row[0], "layer " + std::to_string(index_) + " (" + module_ + "): 'from' must be " +
                     (multi_input ? "a list of layers" : "a single layer index") + ". " + kRowHelp);
  }
  // Depth gain with Python's round (half to even).
  const int64_t n =
      number > 1 ? std::max<int64_t>(static_cast<int64_t>(std::nearbyint(number * depth_gain_)), 1)
                 : number;
  if (n > 1 && multi_input)
    fail(row[1], "layer " + std::to_string(index_) + ": " + module_ +
                     " cannot be repeated; number must be 1");

  const int64_t c1 = channels_of(from[0]);
  int64_t c2 = c1;
  std::vector<std::string> rendered;
  for (size_t i = 0; i < args_.size(); ++i) rendered.push_back(render(args_[i]));
  const auto scaled_out = [&]() {
    int64_t value = int_arg(0, "c2", 0);
    if (value <= 0) fail_arg(arg(0), "c2 (output channels) must be positive");
    if (value != no_) value = make_divisible(static_cast<double>(value) * width_gain_, 8);
    rendered.erase(rendered.begin());
    rendered.insert(rendered.begin(), {std::to_string(c1), std::to_string(value)});
    return value;
  };

  std::shared_ptr<torch::nn::Module> module;
  Runner run;
  // One instance for n == 1, else nn.Sequential of n, as parse_model does.
  const auto repeat = [&](auto make) {
    if (n == 1) {
      auto holder = make();
      module = holder.ptr();
      run = [holder](const std::vector<torch::Tensor>& in) mutable {
        return holder->forward(in[0]);
      };
      return;
    }
    torch::nn::Sequential sequence;
    for (int64_t k = 0; k < n; ++k) sequence->push_back(make());
    module = sequence.ptr();
    run = [sequence](const std::vector<torch::Tensor>& in) mutable {
      return sequence->forward(in[0]);
    };
  };

  if (module_ == "Conv" || module_ == "Focus" || module_ == "RepConv") {
    c2 = scaled_out();
    const bool repconv = module_ == "RepConv";
    auto options = ConvOptions(c1, c2, int_arg(1, "k", repconv ? 3 : 1), int_arg(2, "s", 1))
                       .padding(has(3) ? int_arg(3, "p", -1) : -1)
                       .groups(int_arg(4, "g", 1));
    if (options.kernel_size() < 1 || options.stride() < 1 || options.groups() < 1 ||
        c1 % options.groups() != 0 || c2 % options.groups() != 0) {
      fail_arg(row[3], "k, s and g must be positive and g must divide the channel counts");
    }
    // ultralytics Conv has a dilation before act; yolov7's Conv (and Focus, RepConv) has act there.
    size_t act_index = 5;
    const auto fifth = scalar_text(arg(5));
    if (module_ == "Conv" && has(5) && !fifth.empty() &&
        fifth.find_first_not_of("0123456789") == std::string::npos) {
      options.dilation(int_arg(5, "d", 1));
      act_index = 6;
    } else if (args_.size() > 6) {
      fail_arg(row[3], "act must come right after g when no dilation is given");
    }
    if (repconv && (options.kernel_size() != 3 || autopad(3, options.padding()) != 1)) {
      fail_arg(row[3], "RepConv needs k=3 with padding 1 (None)");
    }
    const auto act = act_arg(act_index);
    options.act(act);
    if (module_ == "Conv") {
      repeat([&] { return Conv(options); });
    } else if (module_ == "Focus") {
      repeat([&] { return Focus(options); });
    } else {
      repeat([&] { return RepConv(options); });
    }
  } else if (module_ == "Bottleneck" || module_ == "C3") {
    c2 = scaled_out();
    const auto shortcut = bool_arg(1, "shortcut", true);
    const auto groups = int_arg(2, "g", 1);
    const auto expansion = double_arg(3, "e", 0.5);
    if (module_ == "C3") {
      rendered.insert(rendered.begin() + 2, std::to_string(n));
      auto block =
          C3(C3Options(c1, c2, n).shortcut(shortcut).groups(groups).expansion(expansion).act(
              default_act_));
      module = block.ptr();
      run = [block](const std::vector<torch::Tensor>& in) mutable { return block->forward(in[0]); };
    } else {
      repeat([&] {
        return Bottleneck(
            BottleneckOptions(c1, c2).shortcut(shortcut).groups(groups).expansion(expansion).act(
                default_act_));
      });
    }
  } else if (module_ == "SPP") {
    c2 = scaled_out();
    const auto kernels = ints_arg(1, "k", {5, 9, 13});
    repeat([&] { return SPP(SPPOptions(c1, c2, kernels).act(default_act_)); });
  } else if (module_ == "SPPF") {
    c2 = scaled_out();
    const auto k = int_arg(1, "k", 5);
    repeat([&] { return SPPF(SPPFOptions(c1, c2, k).act(default_act_)); });
  } else if (module_ == "SPPCSPC") {
    c2 = scaled_out();
    rendered.insert(rendered.begin() + 2, std::to_string(n));
    // shortcut and g are accepted and unused, like upstream's SPPCSPC.
    bool_arg(1, "shortcut", false);
    int_arg(2, "g", 1);
    auto block = SPPCSPC(SPPCSPCOptions(c1, c2)
                             .expansion(double_arg(3, "e", 0.5))
                             .kernel_sizes(ints_arg(4, "k", {5, 9, 13}))
                             .act(default_act_));
    module = block.ptr();
    run = [block](const std::vector<torch::Tensor>& in) mutable { return block->forward(in[0]); };
  } else if (module_ == "MP") {
    const auto k = int_arg(0, "k", 2);
    repeat([&] { return MP(k); });
  } else if (module_ == "SP") {
    const auto k = int_arg(0, "k", 3);
    const auto s = int_arg(1, "s", 1);
    repeat([&] { return SP(k, s); });
  } else if (module_ == "nn.Upsample") {
    if (has(0)) fail_arg(arg(0), "only size None is supported (scale with scale_factor)");
    const auto scale = double_arg(1, "scale_factor", 2.0);
    const auto mode = has(2) ? scalar_text(arg(2)) : std::string("nearest");
    if (mode != "nearest") fail_arg(arg(2), "mode must be 'nearest', got '" + mode + "'");
    repeat([&] {
      return torch::nn::Upsample(torch::nn::UpsampleOptions()
                                     .scale_factor(std::vector<double>{scale, scale})
                                     .mode(torch::kNearest));
    });
  } else if (module_ == "Concat") {
    const auto dimension = int_arg(0, "dimension", 1);
    if (dimension != 1) fail_arg(arg(0), "only channel concatenation (dimension 1) is supported");
    c2 = 0;
    for (int f : from) c2 += channels_of(f);
    auto block = Concat(dimension);
    module = block.ptr();
    run = [block](const std::vector<torch::Tensor>& in) mutable { return block->forward(in); };
  } else {  // detection heads
    const auto nc = int_arg(0, "nc", nc_);
    if (nc <= 0) fail_arg(arg(0), "nc must be positive");
    std::vector<int64_t> ch;
    for (int f : from) ch.push_back(channels_of(f));
    DetectOptions options(nc, anchors_arg(1, from.size()), ch);
    std::vector<std::string> ch_text;
    for (auto c : ch) ch_text.push_back(std::to_string(c));
    if (module_ == "Segment") {
      const auto nm = int_arg(2, "nm", 32);
      const auto npr = make_divisible(static_cast<double>(int_arg(3, "npr", 256)) * width_gain_, 8);
      if (nm <= 0 || npr <= 0) fail_arg(row[3], "nm and npr must be positive");
      while (rendered.size() < 4) rendered.push_back(rendered.size() == 2 ? "32" : "256");
      rendered[3] = std::to_string(npr);
      model_.head_ = std::make_shared<SegmentImpl>(options, nm, npr, default_act_);
    } else if (module_ == "IDetect") {
      model_.head_ = std::make_shared<IDetectImpl>(options);
    } else {
      model_.head_ = std::make_shared<DetectImpl>(options);
    }
    std::string list = "[";
    for (size_t k = 0; k < ch_text.size(); ++k) list += (k ? ", " : "") + ch_text[k];
    rendered.push_back(list + "]");
    module = model_.head_;
    model_.head_inputs_.clear();
    for (int f : from) model_.head_inputs_.push_back(f < 0 ? index_ + f : f);
  }

  model_.model_->push_back(module);
  LayerInfo info;
  info.index = index_;
  info.from = from;
  info.repeats = static_cast<int>(n);
  for (const auto& p : module->parameters()) info.params += p.numel();
  info.type = module_;
  std::string args_text = "[";
  for (size_t k = 0; k < rendered.size(); ++k) args_text += (k ? ", " : "") + rendered[k];
  info.args = args_text + "]";
  info.out_channels = c2;
  model_.layers_.push_back(info);

  std::vector<int> inputs;
  for (int f : from) {
    const int absolute = index_ == 0 ? -1 : (f < 0 ? index_ + f : f);
    inputs.push_back(absolute);
    if (f != -1) saved_.push_back(absolute);
  }
  if (!head) model_.runners_.push_back({inputs, run});
  if (index_ == 0) channels_.clear();
  channels_.push_back(c2);
}

void ModelImpl::build(const YamlSource& yaml, int64_t nc) { ModelBuilder(*this, yaml, nc).build(); }

}  // namespace qyolo::nn
