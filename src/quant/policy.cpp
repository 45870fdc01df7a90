#include "qyolo/quant/policy.h"

#include <fnmatch.h>

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "qyolo/core/error.h"

namespace qyolo::quant {
namespace {

// A set of layers written "17", "0-9" or "10-23,24"; or, when not numeric, a glob on the path.
struct Selector {
  std::vector<std::pair<int, int>> ranges;
  std::string glob;

  bool matches(const std::string& path, int layer) const {
    if (!glob.empty()) return fnmatch(glob.c_str(), path.c_str(), 0) == 0;
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const auto& r) { return layer >= r.first && layer <= r.second; });
  }
};

bool parse_int(const std::string& text, int& value) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), ::isdigit)) return false;
  value = std::stoi(text);
  return true;
}

Selector parse_selector(const std::string& text, const std::string& key, bool allow_glob) {
  Selector selector;
  std::stringstream items(text);
  std::string item;
  bool numeric = !text.empty();
  while (numeric && std::getline(items, item, ',')) {
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    const auto dash = item.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string::npos
            ? parse_int(item, lo) && parse_int(item, hi)
            : parse_int(item.substr(0, dash), lo) && parse_int(item.substr(dash + 1), hi)) {
      if (hi < lo) {
        throw UsageError(key + ": layer range '" + item + "' ends before it starts");
      }
      selector.ranges.emplace_back(lo, hi);
    } else {
      numeric = false;
    }
  }
  if (numeric) return selector;
  if (!allow_glob || text.empty()) {
    throw UsageError(key + ": '" + text +
                     "' is not a layer list; expected indices and ranges like 0-9 or 10-23,24");
  }
  selector.ranges.clear();
  selector.glob = text;
  return selector;
}

QuantSpec weight_spec(const std::string& kind_name, int bits, bool per_channel,
                      const std::string& key) {
  QuantSpec spec;
  spec.kind = parse_quant_kind(kind_name, key + ".weight_kind");
  if (spec.kind == QuantKind::kFp) return spec;
  if (spec.kind == QuantKind::kBinary) {
    spec.bits = 1;
    spec.granularity = Granularity::kPerChannel;
    return spec;
  }
  if (bits < kMinBits || bits > kMaxBits) {
    throw UsageError(key + ".weight_bits: " + std::to_string(bits) + " is not allowed for " +
                     kind_name + "; allowed: " + std::to_string(kMinBits) + "-" +
                     std::to_string(kMaxBits));
  }
  spec.bits = bits;
  spec.is_signed = true;
  spec.granularity = per_channel ? Granularity::kPerChannel : Granularity::kPerTensor;
  return spec;
}

QuantSpec input_spec(const std::string& kind_name, int bits, const std::string& key) {
  QuantSpec spec;
  spec.kind = parse_quant_kind(kind_name, key + ".act_kind");
  if (spec.kind == QuantKind::kFp) return spec;
  if (spec.kind == QuantKind::kBinary) {
    spec.bits = 1;
    return spec;
  }
  if (bits < kMinBits || bits > kMaxBits) {
    throw UsageError(key + ".act_bits: " + std::to_string(bits) + " is not allowed for " +
                     kind_name + "; allowed: " + std::to_string(kMinBits) + "-" +
                     std::to_string(kMaxBits));
  }
  spec.bits = bits;
  spec.is_signed = spec.kind == QuantKind::kLsq;
  return spec;
}

// An override that matches no conv is almost always a typo (or a pattern written for another
// model); applying nothing in silence would train a different model than the config says.
[[noreturn]] void reject_unmatched_override(const config::QuantOverride& override, size_t index,
                                            const std::vector<nn::ConvSite>& sites) {
  constexpr size_t kShown = 4;
  std::string examples;
  for (size_t i = 0; i < std::min(sites.size(), kShown); ++i) {
    examples += (i ? ", " : "") + sites[i].path;
  }
  if (sites.size() > kShown) examples += ", ..., " + sites.back().path;
  const std::string layers =
      sites.empty() ? "" : " (layers 0-" + std::to_string(sites.back().layer) + ")";
  throw UsageError("quant.overrides[" + std::to_string(index) + "].pattern: '" + override.pattern +
                   "' matches no conv of the model" + layers +
                   "; give layer indices like 17 or 0-9, or a glob on the conv paths: " +
                   (examples.empty() ? std::string("none") : examples));
}

// The integer kind used where bits are pinned (first/last convs): binary and fp fall back to LSQ.
std::string integer_kind(const std::string& kind) {
  return kind == "lsq_plus" ? "lsq_plus" : "lsq";
}

}  // namespace

Policy::Policy(config::QuantConfig config) : config_(std::move(config)) {
  const auto& c = config_;
  weight_spec(c.weight_kind, c.weight_bits, c.per_channel, "quant");
  input_spec(c.act_kind, c.act_bits, "quant");
  if (c.first_bits > 0) {
    weight_spec("lsq", c.first_bits, false, "quant.first_bits");
  }
  if (c.last_bits > 0) {
    weight_spec("lsq", c.last_bits, false, "quant.last_bits");
  }
  parse_act_init(c.act_init, "quant.act_init");
  for (size_t i = 0; i < c.groups.size(); ++i) {
    const auto key = "quant.groups[" + std::to_string(i) + "]";
    parse_selector(c.groups[i].layers, key + ".layers", false);
    weight_spec(c.groups[i].weight_kind, c.groups[i].weight_bits, c.per_channel, key);
    input_spec(c.groups[i].act_kind, c.groups[i].act_bits, key);
  }
  for (size_t i = 0; i < c.stages.size(); ++i) {
    for (const auto& name : c.stages[i].groups) {
      const bool known = std::any_of(c.groups.begin(), c.groups.end(),
                                     [&](const auto& g) { return g.name == name; });
      if (!known) {
        std::string names;
        for (const auto& g : c.groups) names += (names.empty() ? "" : ", ") + g.name;
        throw UsageError("quant.stages[" + std::to_string(i) + "].groups: unknown group '" + name +
                         "'; defined groups: " + (names.empty() ? "none" : names));
      }
    }
  }
  for (size_t i = 0; i < c.overrides.size(); ++i) {
    const auto key = "quant.overrides[" + std::to_string(i) + "]";
    parse_selector(c.overrides[i].pattern, key + ".pattern", true);
    weight_spec(c.overrides[i].weight_kind, c.overrides[i].weight_bits, c.per_channel, key);
    input_spec(c.overrides[i].act_kind, c.overrides[i].act_bits, key);
  }
}

std::vector<ConvPlan> Policy::plan(const std::vector<nn::ConvSite>& sites, int stage) const {
  const auto& c = config_;
  TORCH_CHECK(stage >= -1 && stage < stage_count(), "stage ", stage, " out of range");
  std::vector<const config::QuantGroup*> active;
  for (const auto& group : c.groups) {
    const bool in_stage = stage < 0 || std::count(c.stages[stage].groups.begin(),
                                                  c.stages[stage].groups.end(), group.name) > 0;
    if (in_stage) active.push_back(&group);
  }
  int last_layer = 0;
  for (const auto& site : sites) last_layer = std::max(last_layer, site.layer);

  std::vector<bool> override_matched(c.overrides.size(), false);
  std::vector<ConvPlan> plans;
  for (size_t i = 0; i < sites.size(); ++i) {
    const auto& site = sites[i];
    ConvPlan plan;
    plan.path = site.path;
    plan.layer = site.layer;
    plan.first = i == 0;
    plan.output = site.layer == last_layer && site.bn.is_empty();
    bool listed = false;
    if (c.groups.empty()) {
      plan.weight = weight_spec(c.weight_kind, c.weight_bits, c.per_channel, "quant");
      plan.input = input_spec(c.act_kind, c.act_bits, "quant");
    } else {
      for (const auto* group : active) {
        if (!parse_selector(group->layers, "quant.groups.layers", false)
                 .matches(site.path, site.layer)) {
          continue;
        }
        listed = true;
        plan.weight = weight_spec(group->weight_kind, group->weight_bits, c.per_channel, "quant");
        plan.input = input_spec(group->act_kind, group->act_bits, "quant");
      }
    }
    const bool quantized = plan.weight.quantized() || plan.input.quantized() ||
                           (plan.output && !listed && !active.empty());
    if (quantized && plan.first && c.first_bits > 0) {
      plan.weight = weight_spec(integer_kind(c.weight_kind), c.first_bits, c.per_channel, "quant");
      plan.input = input_spec(integer_kind(c.act_kind), c.first_bits, "quant");
    }
    if (quantized && plan.output && c.last_bits > 0) {
      plan.weight = weight_spec(integer_kind(c.weight_kind), c.last_bits, c.per_channel, "quant");
      plan.input = input_spec(integer_kind(c.act_kind), c.last_bits, "quant");
    }
    for (size_t k = 0; k < c.overrides.size(); ++k) {
      const auto& override = c.overrides[k];
      if (parse_selector(override.pattern, "quant.overrides.pattern", true)
              .matches(site.path, site.layer)) {
        override_matched[k] = true;
        plan.weight =
            weight_spec(override.weight_kind, override.weight_bits, c.per_channel, "quant");
        plan.input = input_spec(override.act_kind, override.act_bits, "quant");
      }
    }
    if (plan.first && plan.input.kind != QuantKind::kBinary) {
      plan.input.is_signed = false;
      // At 8 bits the image grid holds the image exactly; fewer bits need a learned grid.
      plan.input.learned =
          plan.input.kind == QuantKind::kFp || plan.input.bits < 8 || c.learn_image_step;
    }
    plans.push_back(plan);
  }
  for (size_t k = 0; k < c.overrides.size(); ++k) {
    if (!override_matched[k]) reject_unmatched_override(c.overrides[k], k, sites);
  }
  return plans;
}

std::shared_ptr<ConvQuantizerImpl> conv_quantizer(const nn::ConvSite& site) {
  return std::dynamic_pointer_cast<ConvQuantizerImpl>(site.conv->hook());
}

std::vector<std::shared_ptr<ConvQuantizerImpl>> conv_quantizers(
    const std::vector<nn::ConvSite>& sites) {
  std::vector<std::shared_ptr<ConvQuantizerImpl>> quantizers;
  for (const auto& site : sites) {
    if (auto quantizer = conv_quantizer(site)) quantizers.push_back(std::move(quantizer));
  }
  return quantizers;
}

void apply(const std::vector<nn::ConvSite>& sites, const Policy& policy, int stage) {
  const auto plans = policy.plan(sites, stage);
  const auto& oscillation = policy.config().oscillation;
  for (size_t i = 0; i < sites.size(); ++i) {
    auto conv = sites[i].conv;
    const auto& plan = plans[i];
    if (!plan.weight.quantized() && !plan.input.quantized()) {
      conv->set_hook(nullptr);
      continue;
    }
    const auto device = conv->weight.device();
    if (auto existing = conv_quantizer(sites[i])) {
      existing->set_weight_spec(plan.weight);
      existing->set_input_spec(plan.input);
      existing->to(device);
      continue;
    }
    auto hook = std::make_shared<ConvQuantizerImpl>(
        ConvQuantizerOptions(conv->weight.sizes(), conv->options().in_channels())
            .weight(plan.weight)
            .input(plan.input)
            .track_oscillations(oscillation.track)
            .oscillation_momentum(oscillation.momentum));
    hook->to(device);
    conv->set_hook(hook);
  }
}

std::vector<ConvPlan> describe(const std::vector<nn::ConvSite>& sites) {
  int last_layer = 0;
  for (const auto& site : sites) last_layer = std::max(last_layer, site.layer);
  std::vector<ConvPlan> plans;
  for (size_t i = 0; i < sites.size(); ++i) {
    ConvPlan plan;
    plan.path = sites[i].path;
    plan.layer = sites[i].layer;
    plan.first = i == 0;
    plan.output = sites[i].layer == last_layer && sites[i].bn.is_empty();
    if (auto quantizer = conv_quantizer(sites[i])) {
      plan.weight = quantizer->weight_spec();
      plan.input = quantizer->input_spec();
      plan.input_source = quantizer->input_source();
    }
    plans.push_back(plan);
  }
  return plans;
}

std::string to_string(const std::vector<ConvPlan>& plans) {
  const auto cell = [](const QuantSpec& spec) {
    if (!spec.quantized()) return std::string("fp32");
    std::string text = std::to_string(spec.effective_bits()) + "b " + to_string(spec.kind);
    if (spec.kind != QuantKind::kBinary) text += spec.is_signed ? " s" : " u";
    if (spec.granularity == Granularity::kPerChannel && spec.kind != QuantKind::kBinary) {
      text += " per-channel";
    }
    if (!spec.learned) text += " image grid";
    return text;
  };
  size_t width = 4;
  for (const auto& plan : plans) width = std::max(width, plan.path.size());
  std::ostringstream out;
  out << std::left << std::setw(width + 2) << "conv" << std::setw(7) << "layer" << std::setw(24)
      << "weight"
      << "input\n";
  for (const auto& plan : plans) {
    out << std::setw(width + 2) << plan.path << std::setw(7) << plan.layer << std::setw(24)
        << cell(plan.weight) << cell(plan.input);
    if (!plan.input_source.empty()) out << " (shared with " << plan.input_source << ")";
    out << '\n';
  }
  return out.str();
}

}  // namespace qyolo::quant
