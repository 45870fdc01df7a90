#include "qyolo/export/packed_export.h"

#include "qyolo/quant/binary_quantizer.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/correction.h"
#include "qyolo/quant/lsq_quantizer.h"
#include "qyolo/quant/policy.h"

namespace qyolo::exporter {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The offset that belongs to a weight quantizer's step tensor (LSQ+), by name.
std::string offset_name(const std::string& step_name) {
  return step_name.substr(0, step_name.size() - std::string("step").size()) + "offset";
}

}  // namespace

PackedModel pack_model(nn::ModelImpl& model) {
  torch::NoGradGuard no_grad;
  const auto sites = model.conv_sites();
  const auto quantizers = quant::conv_quantizers(sites);
  if (std::any_of(quantizers.begin(), quantizers.end(),
                  [](const auto& q) { return q->has_correction(); })) {
    quant::fold_correction(sites);
  }
  PackedModel packed;
  packed.model_yaml = model.yaml_text();
  std::map<std::string, bool> done;
  for (const auto& site : sites) {
    const auto q = quant::conv_quantizer(site);
    if (!q || !q->weight_quantizer()) continue;
    const std::string name = site.path + ".weight";
    const torch::Tensor w = site.conv->weight.detach().cpu();
    // Integer weights refer to the quantizer's own step (or binary scale) tensor by name; it is
    // stored with the rest of the float state.
    const std::string quantizer = site.path + ".quant.weight_quantizer.";
    if (auto lsq = std::dynamic_pointer_cast<quant::LsqQuantizerImpl>(q->weight_quantizer())) {
      const auto spec = lsq->spec();
      packed.tensors.push_back({name, q->weight_integers(w).to(torch::kLong), spec.bits,
                                spec.is_signed, quantizer + "step"});
    } else if (auto bin = std::dynamic_pointer_cast<quant::BinaryWeightQuantizerImpl>(
                   q->weight_quantizer())) {
      packed.tensors.push_back(
          {name, quant::binary_sign(w).to(torch::kLong), 1, true, quantizer + "scale"});
    } else {
      continue;
    }
    done[name] = true;
  }
  for (const auto& [name, t] : model.state()) {
    // Oscillation statistics and BN batch counters only matter for training.
    if (done.count(name) || name.find(".oscillation.") != std::string::npos ||
        ends_with(name, "num_batches_tracked")) {
      continue;
    }
    packed.tensors.push_back({name, t.detach().cpu().to(torch::kFloat), 32, true, ""});
  }
  return packed;
}

PackedExportSummary export_packed(nn::ModelImpl& model, const std::filesystem::path& path) {
  const PackedModel packed = pack_model(model);
  write_packed_model(packed, path);
  PackedExportSummary s;
  s.payload_bytes = packed.payload_bytes();
  for (const auto& t : packed.tensors) {
    if (t.bits < 32) ++s.packed_tensors;
    // Quantizer state exists only because of quantization.
    if (t.name.find(".quant.") == std::string::npos) {
      s.fp32_bytes += t.values.numel() * 4;
    }
  }
  return s;
}

TensorMap unpack_model(const PackedModel& packed) {
  TensorMap by_name;
  for (const auto& t : packed.tensors) by_name[t.name] = t.values;
  TensorMap out;
  for (const auto& t : packed.tensors) {
    if (t.bits == 32) {
      out[t.name] = t.values;
      continue;
    }
    const auto& step = by_name.at(t.scale);
    std::vector<int64_t> shape(t.values.dim(), 1);
    shape[0] = -1;
    torch::Tensor w = t.values.to(torch::kFloat) * step.view(shape);
    if (const auto it = by_name.find(offset_name(t.scale)); it != by_name.end()) {
      w = w + it->second.view(shape);
    }
    out[t.name] = w;
  }
  return out;
}

}  // namespace qyolo::exporter
