// Typed, validated experiment configuration loaded from YAML.
//
// Every section is a plain struct with a `visit` method that lists its keys once; the same list
// drives loading (with type/range checks and unknown-key errors that name file and line),
// saving the resolved config, and `--set section.key=value` overrides.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qyolo/core/config_visit.h"

namespace qyolo::config {

// Ultralytics hyperparameters (hyp.scratch-low.yaml / hyp.scratch-high.yaml keys).
struct Hyp {
  double lr0 = 0.01;             // initial learning rate
  double lrf = 0.01;             // final lr = lr0 * lrf
  double momentum = 0.937;       // SGD momentum / Adam beta1
  double weight_decay = 0.0005;  // optimizer weight decay
  double warmup_epochs = 3.0;
  double warmup_momentum = 0.8;
  double warmup_bias_lr = 0.1;
  double box = 0.05;
  double cls = 0.5;
  double cls_pw = 1.0;
  double obj = 1.0;
  double obj_pw = 1.0;
  double iou_t = 0.20;
  double anchor_t = 4.0;
  double fl_gamma = 0.0;
  double hsv_h = 0.015;
  double hsv_s = 0.7;
  double hsv_v = 0.4;
  double degrees = 0.0;
  double translate = 0.1;
  double scale = 0.5;
  double shear = 0.0;
  double perspective = 0.0;
  double flipud = 0.0;
  double fliplr = 0.5;
  double mosaic = 1.0;
  double mixup = 0.0;
  double copy_paste = 0.0;
  double anchors = 3.0;  // anchors per level (informational in ultralytics hyps)
  double label_smoothing = 0.0;
  double loss_ota = 1.0;  // yolov7: 1 = OTA assignment for IDetect models

  template <class V>
  void visit(V& v);
};

struct TrainConfig {
  int epochs = 100;
  int batch = 16;
  int imgsz = 640;
  std::string optimizer = "SGD";  // SGD | Adam | AdamW
  int workers = 4;                // loader threads
  int seed = 0;
  bool deterministic = true;
  std::string device = "cpu";  // cpu | cuda | cuda:N
  int threads = 0;             // intra-op threads, 0 = the cores this process may use
  std::string project = "runs/train";
  std::string name = "exp";
  bool exist_ok = false;
  std::string weights;   // initial weights (.qyolo or converted .pt dict)
  int patience = 100;    // early stop after this many epochs without improvement
  int close_mosaic = 0;  // turn mosaic off for the last N epochs
  bool cos_lr = false;
  bool multi_scale = false;
  int save_period = -1;  // also save epoch<N>.qyolo every N epochs
  bool cache_ram = false;
  bool rect = false;
  int nbs = 64;              // nominal batch size for gradient accumulation
  double fraction = 1.0;     // fraction of the train set to use
  bool strict_data = false;  // bad images/labels stop the run instead of being skipped
  bool val = true;           // validate every epoch (else only after the last one)
  int dist_timeout = 1800;   // seconds a process waits for its peers before failing the run
  bool sync_bn = false;      // data parallel: BatchNorm statistics over the global batch
  // EMA of the weights (and quantizer steps): decay·(1 − exp(−updates/tau)), as YOLOv5. The
  // averaging window is ≈ 1/(1 − decay) updates; short runs need a shorter one.
  double ema_decay = 0.9999;
  double ema_tau = 2000;
  bool val_latent = false;  // with an EMA, also validate the latent weights every epoch
  // Skip AutoAnchor, the anchor fit check (and k-means anchors) before training (train.py's
  // --noautoanchor).
  bool noautoanchor = false;

  template <class V>
  void visit(V& v);
};

struct EvalConfig {
  double conf = 0.001;
  double iou = 0.6;  // train.py validates at 0.6 every epoch (val.py's default)
  int max_det = 300;
  int batch = 32;
  std::string task = "det";  // det | seg
  bool save_json = true;
  bool plots = true;

  template <class V>
  void visit(V& v);
};

// Per-layer override of the precision policy: modules whose path matches `pattern`
// (a layer index "17", a range "0-9", or a glob on the module path "model.24.*").
struct QuantOverride {
  std::string pattern;
  int weight_bits = 4;
  int act_bits = 4;
  std::string weight_kind = "lsq";  // lsq | lsq_plus | binary | fp
  std::string act_kind = "lsq";

  template <class V>
  void visit(V& v);
};

// A named group of layers for mixed precision (MPQ-YOLO): backbone, neck, head, detect.
struct QuantGroup {
  std::string name;
  std::string layers;  // "0-9", "10-23", "24"
  int weight_bits = 4;
  int act_bits = 4;
  std::string weight_kind = "lsq";  // lsq | lsq_plus | binary | fp
  std::string act_kind = "lsq";

  template <class V>
  void visit(V& v);
};

// One stage of progressive network quantization: which groups are quantized, for how long.
struct QuantStage {
  std::string name;
  std::vector<std::string> groups;
  int epochs = 1;

  template <class V>
  void visit(V& v);
};

struct OscillationConfig {
  bool track = true;
  double momentum = 0.01;    // EMA momentum of the flip frequency
  double threshold = 0.005;  // frequency above which a weight counts as oscillating

  template <class V>
  void visit(V& v);
};

struct DampenConfig {
  bool enabled = false;
  double lambda_start = 0.0;
  double lambda_end = 0.1;
  std::string schedule = "cosine";  // constant | linear | cosine

  template <class V>
  void visit(V& v);
};

struct FreezeConfig {
  bool enabled = false;
  double threshold = 0.02;  // freeze a weight once its flip frequency exceeds this

  template <class V>
  void visit(V& v);
};

struct QuantConfig {
  bool enabled = false;
  int weight_bits = 4;
  int act_bits = 4;
  std::string weight_kind = "lsq";    // lsq | lsq_plus
  std::string act_kind = "lsq_plus";  // lsq | lsq_plus
  bool per_channel = false;           // per-output-channel weight steps
  int first_bits = 8;                 // first conv (weights and input)
  bool learn_image_step = false;      // 8-bit first conv input: learned, or the exact image grid
  int last_bits = 8;                  // Detect/Segment output convs
  std::string act_init = "minmax";    // minmax | mse (activation step initialisation)
  int calib_batches = 4;              // batches used to initialise activation steps
  int recalibrate_bn = 0;             // batches to re-estimate BN statistics on (0: never)
  bool ema = true;                    // EMA over latent weights, steps and buffers
  OscillationConfig oscillation;
  DampenConfig dampen;
  FreezeConfig freeze;
  std::vector<QuantOverride> overrides;
  std::vector<QuantGroup> groups;  // mixed precision groups (MPQ)
  std::vector<QuantStage> stages;  // progressive quantization stages (PNQ)

  template <class V>
  void visit(V& v);
};

struct ExperimentConfig {
  std::string model;  // model yaml (configs/models/*.yaml format)
  std::string data;   // data yaml (ultralytics format)
  int nc = 0;         // number of classes; 0 = take it from the data yaml
  Hyp hyp;
  TrainConfig train;
  QuantConfig quant;
  EvalConfig eval;

  std::filesystem::path source;  // the file it was loaded from (empty for defaults)

  template <class V>
  void visit(V& v);
};

// Loads `path`, resolves `hyp: <file>` into the hyp section, applies `overrides`
// ("section.key=value", parsed as YAML scalars/flow values) and validates everything; the model
// yaml it names must exist. An empty value (`epochs:`, `--set train.epochs=`) is an error; an
// empty section (`train:` with no keys) keeps its defaults.
// Throws UsageError naming file, line, key, the given value and what is allowed.
ExperimentConfig load_experiment(const std::filesystem::path& path,
                                 const std::vector<std::string>& overrides = {});

// Parses a resolved config held as text (e.g. the config stored in a checkpoint); `origin`
// names it in error messages.
ExperimentConfig parse_experiment(const std::string& yaml_text, const std::string& origin,
                                  const std::vector<std::string>& overrides = {});

// Builds a config from defaults plus overrides only (for commands that run without --config).
ExperimentConfig default_experiment(const std::vector<std::string>& overrides = {});

// Loads just a hyp yaml (ultralytics format) into Hyp with the same validation.
Hyp load_hyp(const std::filesystem::path& path);

// The resolved config as YAML text (what runs save as config.yaml; loads back identically).
std::string to_yaml(const ExperimentConfig& cfg);

// Resolves a file named in a config or on the command line: absolute paths as given, then
// relative to the working directory, then to `base_dir`, then to the shipped configs folder.
// Returns the first that exists, or the path as given when none does.
std::filesystem::path resolve_path(const std::string& name,
                                   const std::filesystem::path& base_dir = {});

// The paths resolve_path tries for `name`, in order (for messages that say where it looked).
std::vector<std::filesystem::path> path_candidates(const std::string& name,
                                                   const std::filesystem::path& base_dir = {});

// The folder holding the shipped configs (models/, data/, hyps/, experiment yamls): $QYOLO_CONFIGS
// when set, else the installed ones (installed_configs_dir()), else those of the source tree.
std::filesystem::path configs_dir();

}  // namespace qyolo::config

#include "qyolo/core/config_fields.inl"
