// qyolo bench: timings behind docs/BENCHMARKS.md. Every figure states its thread count; the
// machine load is the caller's to record (uptime), and comparisons belong within one run.
//   train-step  one full training step (forward, task loss, backward, SGD step), median seconds
//   qat         train-step without and with w4a4 QAT, each in its own process, alternated over
//               --rounds: time and memory ratios
//   loader      decode-only vs mosaic training-sample throughput of a data set's train images
//   eval        qyolo's COCOeval on a results / annotations pair
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/runtime_options.h"
#include "qyolo/core/config.h"
#include "qyolo/core/error.h"
#include "qyolo/core/torch_compat.h"
#include "qyolo/data/bench_loader.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/eval/coco_eval.h"
#include "qyolo/nn/model.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/fake_quantize.h"
#include "qyolo/quant/policy.h"
#include "qyolo/train/optimizer.h"
#include "qyolo/train/task_loss.h"

namespace qyolo::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Peak resident set size of this process so far (Linux reports ru_maxrss in KiB).
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Peak bytes of live CPU tensors, from the allocator's own reports (the figure the PyTorch
// profiler's memory view shows). Unlike peak RSS it does not depend on how malloc reuses freed
// blocks. Reports reach it while it is installed on the calling thread.
class TensorMemoryMeter : public c10::MemoryReportingInfoBase {
 public:
  void reportMemoryUsage(void* /*ptr*/, int64_t /*alloc_size*/,
                         compat::MemoryReportTotal total_allocated,
                         compat::MemoryReportTotal /*total_reserved*/,
                         c10::Device /*device*/) override {
    peak_bytes_ = std::max(peak_bytes_, static_cast<int64_t>(total_allocated));
  }
  bool memoryProfilingEnabled() const override { return true; }
  double peak_mb() const { return static_cast<double>(peak_bytes_) / (1024.0 * 1024.0); }

 private:
  int64_t peak_bytes_ = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// ---------------------------------------------------------------- train-step

struct TrainStepOptions {
  std::string model = "configs/models/yolov5n.yaml";
  int64_t batch = 16;
  int64_t img = 320;
  std::string quant = "none";
  int steps = 10;
  int warmup = 3;
  int rounds = 3;     // qat: FP/QAT child pairs
  std::string trace;  // train-step: chrome://tracing file of two extra, untimed steps
  RuntimeOptions runtime;
  bool json = false;
};

// "none", "w<bits>a<bits>" (e.g. w4a4) -> the QuantConfig of a plain QAT run; an experiment
// yaml -> its quant section with every group active (the last PNQ stage, e.g. MPQ's binary
// backbone).
config::QuantConfig parse_quant(const std::string& spec) {
  config::QuantConfig cfg;
  if (spec == "none") return cfg;
  if (std::filesystem::path(spec).extension() == ".yaml") {
    cfg = config::load_experiment(config::resolve_path(spec)).quant;
    if (!cfg.enabled) throw UsageError("--quant " + spec + ": its quant.enabled is false");
    return cfg;
  }
  std::smatch m;
  static const std::regex pattern("w([2-8])a([2-8])");
  if (!std::regex_match(spec, m, pattern))
    throw UsageError("--quant '" + spec +
                     "': use none, w<bits>a<bits> with bits 2-8 (e.g. w4a4) or an experiment yaml");
  cfg.enabled = true;
  cfg.weight_bits = std::stoi(m[1]);
  cfg.act_bits = std::stoi(m[2]);
  return cfg;
}

// Targets (image, class, x, y, w, h) normalised: four objects per image, as
// tools/bench/ultralytics_train_step.py draws them.
torch::Tensor random_targets(int64_t batch, int64_t nc, const torch::TensorOptions& options) {
  const int64_t n = 4 * batch;
  return torch::cat(
      {torch::arange(batch, options).repeat_interleave(4).unsqueeze(1),
       torch::randint(0, nc, {n, 1}, options), 0.2 + 0.6 * torch::rand({n, 2}, options),
       0.05 + 0.3 * torch::rand({n, 2}, options)},
      1);
}

int run_train_step(const TrainStepOptions& o) {
  if (o.steps < 1) throw UsageError("--steps must be at least 1, got " + std::to_string(o.steps));
  const torch::Device device = o.runtime.apply();
  const config::QuantConfig qcfg = parse_quant(o.quant);
  // Installed before the first tensor exists, so every free it sees is of an allocation it saw.
  auto memory = std::make_shared<TensorMemoryMeter>();
  std::optional<c10::DebugInfoGuard> memory_guard;
  memory_guard.emplace(c10::DebugInfoKind::PROFILER_STATE, memory);
  torch::manual_seed(0);
  nn::Model model(std::filesystem::path(o.model));
  model->to(device);

  torch::manual_seed(1);
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const torch::Tensor images = torch::rand({o.batch, 3, o.img, o.img}, float_options);
  const torch::Tensor targets = random_targets(o.batch, model->nc(), float_options);

  if (qcfg.enabled) {
    quant::apply(*model, quant::Policy(qcfg));
    quant::calibrate_activations(*model, {images},
                                 quant::parse_act_init(qcfg.act_init, "act_init"));
  }
  model->train();
  const config::Hyp hyp;
  train::TaskLoss loss(*model, hyp, o.img);
  auto optimizer = train::make_optimizer(train::group_parameters(*model), "SGD", hyp.lr0,
                                         hyp.momentum, hyp.weight_decay);

  const auto step = [&] {
    const nn::ModelOutput output = model->forward(images);
    train::LossOutput out = loss(output, images, targets);
    out.loss.backward();
    optimizer->step();
    optimizer->zero_grad();
  };
  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.steps; ++i) {
    const auto start = Clock::now();
    step();
    if (i >= o.warmup) times.push_back(seconds_since(start));
  }
  const double step_s = median(times);
  const double rss_mb = peak_rss_mb();
  if (!o.trace.empty()) {
    // After the figures are taken: the profiler's own time and memory must not reach them. It
    // takes the slot the memory meter holds.
    memory_guard.reset();
    torch::autograd::profiler::RecordProfile profile(o.trace);
    for (int i = 0; i < 2; ++i) step();
  }
  const int threads = torch::get_num_threads();
  if (o.json) {
    nlohmann::json j = {{"impl", "qyolo"},       {"model", o.model},
                        {"batch", o.batch},      {"img", o.img},
                        {"quant", o.quant},      {"threads", threads},
                        {"steps", o.steps},      {"step_s", step_s},
                        {"peak_rss_mb", rss_mb}, {"peak_tensor_mb", memory->peak_mb()},
                        {"device", device.str()}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << std::fixed << std::setprecision(3) << "train step " << o.model << " batch "
              << o.batch << " img " << o.img << " quant " << o.quant << ": " << step_s
              << " s median of " << o.steps << " (after " << o.warmup << " warm-up), " << threads
              << " thread(s), peak RSS " << std::setprecision(0) << rss_mb
              << " MB, peak CPU tensors " << memory->peak_mb() << " MB\n";
  }
  return 0;
}

void add_train_step(CLI::App* bench, TrainStepOptions& o, const std::string& name,
                    const std::string& description, bool with_quant) {
  CLI::App* sub = bench->add_subcommand(name, description);
  sub->add_option("--model", o.model, "Model yaml")->capture_default_str();
  sub->add_option("--batch", o.batch, "Batch size")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_option("--img", o.img, "Square image size")
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  if (with_quant)
    sub->add_option("--quant", o.quant,
                    "none, w<bits>a<bits> (e.g. w4a4) or an experiment yaml (all its quant groups)")
        ->capture_default_str();
  sub->add_option("--steps", o.steps, "Timed steps")->capture_default_str();
  sub->add_option("--warmup", o.warmup, "Untimed steps first")->capture_default_str();
  o.runtime.add_to(sub);
  if (with_quant) {
    sub->add_flag("--json", o.json, "Print one JSON line");
    sub->add_option("--trace", o.trace,
                    "Profile two more steps after the timed ones into this chrome://tracing file");
  }
}

// ---------------------------------------------------------------- qat

// Runs `train-step` in a fresh process of this binary so its peak memory is its own.
nlohmann::json train_step_in_child(const TrainStepOptions& o, const std::string& quant) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::ostringstream cmd;
  cmd << "'" << self << "' -q bench train-step --model '" << o.model << "' --batch " << o.batch
      << " --img " << o.img << " --quant " << quant << " --steps " << o.steps << " --warmup "
      << o.warmup << " --threads " << o.runtime.threads << " --json";
  if (o.runtime.device) cmd << " --device '" << *o.runtime.device << "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.str().c_str(), "r"), pclose);
  if (!pipe) throw Error("cannot start " + cmd.str());
  std::string output;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get())) output += buffer.data();
  const int status = pclose(pipe.release());
  const auto last_line_start = output.find_last_of('{');
  if (status != 0 || last_line_start == std::string::npos)
    throw Error("'" + cmd.str() + "' failed (status " + std::to_string(status) + ")");
  return nlohmann::json::parse(output.substr(last_line_start));
}

int run_qat(const TrainStepOptions& o) {
  if (o.rounds < 1)
    throw UsageError("--rounds must be at least 1, got " + std::to_string(o.rounds));
  // FP and QAT children alternate in ABBA order, so load that drifts during the run (these
  // machines are shared) weighs on both sides; the time ratio is the median over the rounds.
  std::vector<nlohmann::json> fp_runs, qat_runs;
  std::vector<double> time_ratios;
  for (int round = 0; round < o.rounds; ++round) {
    if (round % 2 == 0) fp_runs.push_back(train_step_in_child(o, "none"));
    qat_runs.push_back(train_step_in_child(o, "w4a4"));
    if (round % 2 == 1) fp_runs.push_back(train_step_in_child(o, "none"));
    time_ratios.push_back(qat_runs.back()["step_s"].get<double>() /
                          fp_runs.back()["step_s"].get<double>());
  }
  const nlohmann::json& fp = fp_runs.front();
  const nlohmann::json& qat = qat_runs.front();
  const double time_ratio = median(time_ratios);
  const double rss_ratio = qat["peak_rss_mb"].get<double>() / fp["peak_rss_mb"].get<double>();
  const double memory_ratio =
      qat["peak_tensor_mb"].get<double>() / fp["peak_tensor_mb"].get<double>();
  if (o.json) {
    std::cout << nlohmann::json{{"fp", fp_runs},
                                {"qat", qat_runs},
                                {"threads", fp["threads"]},
                                {"time_ratios", time_ratios},
                                {"time_ratio", time_ratio},
                                {"memory_ratio", memory_ratio},
                                {"rss_ratio", rss_ratio}}
                     .dump()
              << "\n";
    return 0;
  }
  const auto line = [](const char* name, const nlohmann::json& r) {
    std::ostringstream text;
    text << std::fixed << "  " << name << "  step " << std::setprecision(3)
         << r["step_s"].get<double>() << " s, peak tensors " << std::setprecision(0)
         << r["peak_tensor_mb"].get<double>() << " MB, peak RSS " << r["peak_rss_mb"].get<double>()
         << " MB\n";
    return text.str();
  };
  std::cout << o.model << " batch " << o.batch << " img " << o.img << ", "
            << fp["threads"].get<int>() << " thread(s)\n"
            << std::fixed << std::setprecision(2);
  for (int round = 0; round < o.rounds; ++round) {
    std::cout << "round " << round + 1 << "\n"
              << line("fp32", fp_runs[round]) << line("w4a4", qat_runs[round]);
  }
  std::cout << "  QAT / FP: time " << time_ratio << "x (median of";
  for (const double r : time_ratios) std::cout << " " << r;
  std::cout << "), peak tensor memory " << memory_ratio << "x (peak RSS " << rss_ratio << "x)\n";
  return 0;
}

// ---------------------------------------------------------------- loader

struct LoaderOptions {
  std::string data;
  data::LoaderBenchOptions bench;
  RuntimeOptions runtime;  // intra-op threads collate the batches
  bool json = false;
};

int run_loader(const LoaderOptions& o) {
  o.runtime.apply();
  const data::DataYaml yaml = data::load_data_yaml(o.data);
  data::require_dataset(yaml);
  data::ScanOptions scan;
  scan.nc = yaml.nc;
  const data::ScanResult train = data::scan_split(yaml, "train", scan);
  const data::LoaderBenchResult r = data::bench_loader(train.images, config::Hyp{}, o.bench);
  const int threads = torch::get_num_threads();
  if (o.json) {
    std::cout << nlohmann::json{{"data", o.data},
                                {"images", train.images.size()},
                                {"workers", r.workers},
                                {"threads", threads},
                                {"batch", o.bench.batch_size},
                                {"decode_images_per_s", r.decode_images_per_s},
                                {"mosaic_640_images_per_s", r.mosaic_640_images_per_s},
                                {"mosaic_320_images_per_s", r.mosaic_320_images_per_s},
                                {"seconds_per_batch_320", r.seconds_per_batch_320},
                                {"mosaic_640_vs_decode", r.mosaic_640_vs_decode()},
                                {"mosaic_320_vs_decode", r.mosaic_320_vs_decode()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(1) << o.data << ": " << train.images.size()
            << " train images, " << r.workers << " worker(s), batch " << o.bench.batch_size << ", "
            << threads << " intra-op thread(s)\n"
            << "  decode only   " << r.decode_images_per_s << " images/s\n"
            << "  mosaic 640    " << r.mosaic_640_images_per_s << " images/s ("
            << std::setprecision(2) << r.mosaic_640_vs_decode() << "x decode)\n"
            << std::setprecision(1) << "  mosaic 320    " << r.mosaic_320_images_per_s
            << " images/s (" << std::setprecision(2) << r.mosaic_320_vs_decode() << "x decode, "
            << std::setprecision(3) << r.seconds_per_batch_320 << " s per batch)\n";
  return 0;
}

// ---------------------------------------------------------------- eval

struct CocoEvalBenchOptions {
  std::string predictions;
  std::string annotations;
  std::string iou_type = "bbox";
  RuntimeOptions runtime;
  bool json = false;
};

int run_eval(const CocoEvalBenchOptions& o) {
  o.runtime.apply();
  const auto start = Clock::now();
  const eval::CocoEvalResult result = eval::evaluate_coco_files(
      o.annotations, o.predictions, eval::parse_coco_iou_type(o.iou_type));
  const double seconds = seconds_since(start);
  const int threads = torch::get_num_threads();
  if (o.json) {
    std::cout << nlohmann::json{{"impl", "qyolo"},
                                {"iou_type", o.iou_type},
                                {"stats", result.stats},
                                {"seconds", seconds},
                                {"threads", threads}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << result.summary_text << std::fixed << std::setprecision(2)
            << "COCOeval (load, evaluate, accumulate, summarize): " << seconds << " s, " << threads
            << " thread(s)\n";
  return 0;
}

// ---------------------------------------------------------------- fake-quant

struct FakeQuantOptions {
  std::vector<int64_t> shape{16, 16, 160, 160};  // yolov5n's largest activation, b16 at 320 px
  int repeats = 10;
  RuntimeOptions runtime;
  bool json = false;
};

int run_fake_quant(const FakeQuantOptions& o) {
  const torch::Device device = o.runtime.apply();
  torch::manual_seed(0);
  const auto x = torch::randn(o.shape, torch::TensorOptions().device(device)).requires_grad_();
  const auto grad = torch::randn_like(x);
  const auto step = torch::tensor({0.05f}, x.options()).requires_grad_();
  const auto offset = torch::tensor({-0.3f}, x.options()).requires_grad_();
  const auto zero_point = torch::tensor({6.f}, x.options()).requires_grad_();
  // Forward and backward of an unsigned 4-bit LSQ+ activation quantizer, median of repeats.
  const auto time = [&](const std::function<torch::Tensor()>& forward) {
    std::vector<double> seconds;
    for (int i = 0; i <= o.repeats; ++i) {
      const auto start = Clock::now();
      forward().backward(grad);
      if (i > 0) seconds.push_back(seconds_since(start));  // the first call warms up
    }
    return median(seconds);
  };
  const double fused = time([&] { return quant::fake_quantize(x, step, offset, 0, 15, 1e-3); });
  const double aten = time([&] {
    return at::_fake_quantize_learnable_per_tensor_affine(x, step, zero_point, 0, 15, 1e-3);
  });
  const int threads = torch::get_num_threads();
  if (o.json) {
    std::cout << nlohmann::json{{"shape", o.shape},
                                {"fused_s", fused},
                                {"aten_s", aten},
                                {"threads", threads}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(2) << "fake-quant fwd+bwd, " << threads
            << " thread(s): fused " << fused * 1e3 << " ms, ATen " << aten * 1e3 << " ms ("
            << aten / fused << "x)\n";
  return 0;
}

}  // namespace

Command add_bench(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("bench", "Timings: training step, QAT overhead, loader, COCOeval");
  sub->require_subcommand(1);

  auto step = std::make_shared<TrainStepOptions>();
  add_train_step(sub, *step, "train-step",
                 "Median time of one training step (forward, loss, backward, SGD) and peak RSS",
                 true);
  auto qat = std::make_shared<TrainStepOptions>();
  add_train_step(
      sub, *qat, "qat",
      "train-step without and with w4a4 QAT in separate processes: time and memory ratios", false);
  sub->get_subcommand("qat")->add_flag("--json", qat->json, "Print one JSON line");
  sub->get_subcommand("qat")
      ->add_option("--rounds", qat->rounds,
                   "FP/QAT pairs, alternated; the time ratio is their median")
      ->capture_default_str();

  auto loader = std::make_shared<LoaderOptions>();
  CLI::App* loader_sub =
      sub->add_subcommand("loader", "Decode-only vs mosaic 640 / 320 training-sample throughput");
  loader_sub->add_option("--data", loader->data, "Data yaml (its train split is used)")->required();
  loader_sub->add_option("--workers", loader->bench.workers, "Loader worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  loader_sub->add_option("--batch", loader->bench.batch_size, "Batch size")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  loader_sub->add_option("--batches", loader->bench.batches, "Timed batches per image size")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  loader->runtime.add_to(loader_sub);
  loader_sub->add_flag("--json", loader->json, "Print one JSON line");

  auto ev = std::make_shared<CocoEvalBenchOptions>();
  CLI::App* eval_sub = sub->add_subcommand("eval", "Time qyolo's COCOeval and print its 12 stats");
  eval_sub->add_option("--predictions", ev->predictions, "COCO results json")
      ->required()
      ->check(CLI::ExistingFile);
  eval_sub->add_option("--annotations", ev->annotations, "COCO annotations json")
      ->required()
      ->check(CLI::ExistingFile);
  eval_sub->add_option("--iou-type", ev->iou_type, "bbox or segm")->capture_default_str();
  ev->runtime.add_to(eval_sub);
  eval_sub->add_flag("--json", ev->json, "Print one JSON line");

  auto fq = std::make_shared<FakeQuantOptions>();
  CLI::App* fq_sub = sub->add_subcommand(
      "fake-quant", "Fused LSQ+ fake-quant kernel vs ATen's learnable op (forward + backward)");
  fq_sub->add_option("--shape", fq->shape, "Activation shape N C H W")
      ->expected(4)
      ->capture_default_str();
  fq_sub->add_option("--repeats", fq->repeats, "Timed calls per kernel")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  fq->runtime.add_to(fq_sub);
  fq_sub->add_flag("--json", fq->json, "Print one JSON line");

  return {sub, [sub, step, qat, loader, ev, fq]() -> int {
            if (sub->got_subcommand("fake-quant")) return run_fake_quant(*fq);
            if (sub->got_subcommand("train-step")) return run_train_step(*step);
            if (sub->got_subcommand("qat")) return run_qat(*qat);
            if (sub->got_subcommand("loader")) return run_loader(*loader);
            return run_eval(*ev);
          }};
}

}  // namespace qyolo::cli
