#include "qyolo/train/bench_train_step.h"

#include <spdlog/fmt/fmt.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <memory>
#include <optional>
#include <regex>

#include "qyolo/core/error.h"
#include "qyolo/core/timing.h"
#include "qyolo/core/torch_compat.h"
#include "qyolo/nn/model.h"
#include "qyolo/quant/calibration.h"
#include "qyolo/quant/policy.h"
#include "qyolo/train/optimizer.h"
#include "qyolo/train/task_loss.h"

namespace qyolo::train {
namespace {

// Peak resident set size of this process so far (Linux reports ru_maxrss in KiB).
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Peak bytes of live CPU tensors, from the allocator's own reports. Reports reach it while it is
// installed on the calling thread.
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

}  // namespace

config::QuantConfig bench_quant_config(const std::string& spec) {
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

nlohmann::json TrainStepBenchResult::to_json() const {
  return {{"impl", "qyolo"},
          {"model", model},
          {"batch", batch},
          {"img", img},
          {"quant", quant},
          {"threads", threads},
          {"steps", steps},
          {"warmup", warmup},
          {"step_s", step_s},
          {"peak_rss_mb", peak_rss_mb},
          {"peak_tensor_mb", peak_tensor_mb},
          {"device", device}};
}

TrainStepBenchResult TrainStepBenchResult::from_json(const nlohmann::json& j) {
  TrainStepBenchResult r;
  r.model = j.at("model").get<std::string>();
  r.batch = j.at("batch").get<int64_t>();
  r.img = j.at("img").get<int64_t>();
  r.quant = j.at("quant").get<std::string>();
  r.device = j.at("device").get<std::string>();
  r.threads = j.at("threads").get<int>();
  r.steps = j.at("steps").get<int>();
  r.warmup = j.at("warmup").get<int>();
  r.step_s = j.at("step_s").get<double>();
  r.peak_rss_mb = j.at("peak_rss_mb").get<double>();
  r.peak_tensor_mb = j.at("peak_tensor_mb").get<double>();
  return r;
}

std::string TrainStepBenchResult::to_string() const {
  return fmt::format(
      "train step {} batch {} img {} quant {}: {:.3f} s median of {} (after {} warm-up), {} "
      "thread(s), peak RSS {:.0f} MB, peak CPU tensors {:.0f} MB\n",
      model, batch, img, quant, step_s, steps, warmup, threads, peak_rss_mb, peak_tensor_mb);
}

TrainStepBenchResult bench_train_step(const TrainStepBenchOptions& o, torch::Device device) {
  if (o.steps() < 1) {
    throw UsageError("--steps must be at least 1, got " + std::to_string(o.steps()));
  }
  const config::QuantConfig qcfg = bench_quant_config(o.quant());
  // Installed before the first tensor exists, so every free it sees is of an allocation it saw.
  auto memory = std::make_shared<TensorMemoryMeter>();
  std::optional<c10::DebugInfoGuard> memory_guard;
  memory_guard.emplace(c10::DebugInfoKind::PROFILER_STATE, memory);
  torch::manual_seed(0);
  nn::Model model(std::filesystem::path(o.model()));
  model->to(device);

  torch::manual_seed(1);
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const torch::Tensor images = torch::rand({o.batch(), 3, o.img(), o.img()}, float_options);
  const torch::Tensor targets = random_targets(o.batch(), model->nc(), float_options);

  if (qcfg.enabled) {
    quant::apply(*model, quant::Policy(qcfg));
    quant::calibrate_activations(*model, {images},
                                 quant::parse_act_init(qcfg.act_init, "act_init"));
  }
  model->train();
  const config::Hyp hyp;
  TaskLoss loss(*model, hyp, o.img());
  auto optimizer =
      make_optimizer(group_parameters(*model), "SGD", hyp.lr0, hyp.momentum, hyp.weight_decay);

  const auto step = [&] {
    const nn::ModelOutput output = model->forward(images);
    LossOutput out = loss(output, images, targets);
    out.loss.backward();
    optimizer->step();
    optimizer->zero_grad();
  };
  std::vector<double> times;
  for (int i = 0; i < o.warmup() + o.steps(); ++i) {
    const Stopwatch watch;
    step();
    if (i >= o.warmup()) times.push_back(watch.seconds());
  }
  TrainStepBenchResult r;
  r.model = o.model();
  r.batch = o.batch();
  r.img = o.img();
  r.quant = o.quant();
  r.device = device.str();
  r.steps = o.steps();
  r.warmup = o.warmup();
  r.step_s = median(times);
  r.peak_rss_mb = peak_rss_mb();
  r.peak_tensor_mb = memory->peak_mb();
  if (!o.trace().empty()) {
    // After the figures are taken: the profiler's own time and memory must not reach them. It
    // takes the slot the memory meter holds.
    memory_guard.reset();
    torch::autograd::profiler::RecordProfile profile(o.trace());
    for (int i = 0; i < 2; ++i) step();
  }
  r.threads = torch::get_num_threads();
  return r;
}

}  // namespace qyolo::train
