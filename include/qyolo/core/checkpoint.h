// .qyolo checkpoint files: everything needed to evaluate, export or resume a run.
//
// Layout: an 8-byte magic "QYOLOCKP", the format version (u32), the payload size (u64) and its
// CRC-32 (u32), then the payload: a torch pickle (torch::pickle_save) of a dict. The header
// lets a truncated or foreign file be rejected with a clear message before unpickling.
// Files are written atomically (temp file, fsync, rename, fsync of the folder), so a killed run
// always leaves the previous good checkpoint.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace qyolo {

using TensorMap = std::map<std::string, torch::Tensor>;

constexpr uint32_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  std::string kind = "train";  // train | corrected | ...
  std::string qyolo_version;   // filled by save_checkpoint
  std::string model_yaml;      // text of the model description
  std::string config_yaml;     // the resolved experiment config
  std::string quant_policy;    // YAML text of the quantization policy ("" for FP models)
  int64_t epoch = -1;          // last completed epoch (-1: not from training)
  TensorMap model;             // weights by reference names (latent + quantizer state)
  TensorMap ema;               // EMA weights (empty when EMA is off)
  double ema_updates = 0;
  std::string optimizer;  // torch::serialize archive bytes of the optimizer
  TensorMap extra;        // RNG states, tracker state, scheduler state, ...
  std::map<std::string, double> metrics;
  std::string meta_json;  // free-form JSON (stage of PNQ, best fitness, ...)

  // The weights to evaluate: EMA when present, else the raw model.
  const TensorMap& weights() const { return ema.empty() ? model : ema; }
};

void save_checkpoint(const Checkpoint& ckpt, const std::filesystem::path& path);
Checkpoint load_checkpoint(const std::filesystem::path& path);

// True when the file starts with the .qyolo magic.
bool is_checkpoint_file(const std::filesystem::path& path);

// Writes bytes to `path` atomically (temp + fsync + rename + folder fsync): `path` holds either
// its old content or all of `bytes`, and a failed write removes its temp file. A folder as
// `path` is a UsageError, raised before anything is written.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// Removes the temp files that write_file_atomic left in `dir` when its process was killed
// mid-write (".<name>.tmp<pid>" of a process no longer running); returns how many.
int remove_stale_temp_files(const std::filesystem::path& dir);

// Weights from any supported file: a .qyolo checkpoint (its EMA weights when present), a
// pickled dict of tensors (tools/convert_weights.py output), or a dict holding such a dict under
// "state_dict" / "model".
TensorMap load_weights_file(const std::filesystem::path& path);

// Reads a torch pickle (torch.save / torch::pickle_save) into an IValue.
c10::IValue load_pickle_file(const std::filesystem::path& path);

// Serialises an optimizer's state (torch::serialize archive) to bytes and back.
std::string optimizer_state_bytes(const torch::optim::Optimizer& optimizer);
void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes);

}  // namespace qyolo
