// A model as packed integers (qyolo-int, see packed_format.h): quantized conv weights at their
// trained bit width with their steps, everything else float32. This is the deployed size the
// compression report promises.
#pragma once

#include <filesystem>

#include "qyolo/core/checkpoint.h"
#include "qyolo/export/packed_format.h"
#include "qyolo/nn/model.h"

namespace qyolo::exporter {

struct PackedExportSummary {
  int64_t payload_bytes = 0;   // bytes of stored tensors
  int64_t fp32_bytes = 0;      // the same parameters at 32 bits
  int64_t packed_tensors = 0;  // integer weight tensors
};

// Packs `model`: its parameters and the buffers inference needs (training-only state such as
// oscillation statistics and BN batch counters is left out). Quantization correction affines,
// if any, are folded first.
PackedModel pack_model(nn::ModelImpl& model);
PackedExportSummary export_packed(nn::ModelImpl& model, const std::filesystem::path& path);

// The tensors to load into a model built with the same architecture and quantizers: integer
// weights become step·q (+offset), which the model's quantizers map back to the same integers.
TensorMap unpack_model(const PackedModel& packed);

}  // namespace qyolo::exporter
