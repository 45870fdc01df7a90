#include "qyolo/train/bench_qat.h"

#include <spdlog/fmt/fmt.h>

#include "qyolo/core/error.h"
#include "qyolo/core/subprocess.h"
#include "qyolo/core/timing.h"

namespace qyolo::train {
namespace {

TrainStepBenchResult train_step_in_child(const QatBenchOptions& o, const std::string& quant) {
  const auto command = train_step_command(o, quant);
  const ProcessOutput child = run_process(command);
  // The result is the last line; anything before it is the child's own output.
  const auto end = child.out.find_last_not_of('\n');
  const auto line_start = end == std::string::npos ? 0 : child.out.find_last_of('\n', end) + 1;
  const auto result = nlohmann::json::parse(child.out.substr(line_start), nullptr, false);
  if (child.exit_code != 0 || !result.is_object()) {
    throw Error("'" + describe_command(command) + "' failed (exit code " +
                std::to_string(child.exit_code) + ")");
  }
  return TrainStepBenchResult::from_json(result);
}

std::string describe_round(const char* name, const TrainStepBenchResult& r) {
  return fmt::format("  {}  step {:.3f} s, peak tensors {:.0f} MB, peak RSS {:.0f} MB\n", name,
                     r.step_s, r.peak_tensor_mb, r.peak_rss_mb);
}

}  // namespace

std::vector<std::string> train_step_command(const QatBenchOptions& o, const std::string& quant) {
  const auto executable = o.executable().empty() ? current_executable() : o.executable();
  std::vector<std::string> argv = {executable.string(), "-q", "bench", "train-step", "--json"};
  const auto add = [&argv](const char* flag, const std::string& value) {
    argv.insert(argv.end(), {flag, value});
  };
  const TrainStepBenchOptions& step = o.step();
  add("--model", step.model());
  add("--batch", std::to_string(step.batch()));
  add("--img", std::to_string(step.img()));
  add("--quant", quant);
  add("--steps", std::to_string(step.steps()));
  add("--warmup", std::to_string(step.warmup()));
  add("--threads", std::to_string(o.threads()));
  if (o.device()) add("--device", *o.device());
  return argv;
}

QatBenchResult bench_qat(const QatBenchOptions& o) {
  if (o.rounds() < 1) {
    throw UsageError("--rounds must be at least 1, got " + std::to_string(o.rounds()));
  }
  QatBenchResult r;
  for (int round = 0; round < o.rounds(); ++round) {
    if (round % 2 == 0) r.fp.push_back(train_step_in_child(o, "none"));
    r.qat.push_back(train_step_in_child(o, "w4a4"));
    if (round % 2 == 1) r.fp.push_back(train_step_in_child(o, "none"));
    r.time_ratios.push_back(r.qat.back().step_s / r.fp.back().step_s);
  }
  r.time_ratio = median(r.time_ratios);
  r.rss_ratio = r.qat.front().peak_rss_mb / r.fp.front().peak_rss_mb;
  r.memory_ratio = r.qat.front().peak_tensor_mb / r.fp.front().peak_tensor_mb;
  return r;
}

nlohmann::json QatBenchResult::to_json() const {
  nlohmann::json fp_runs = nlohmann::json::array(), qat_runs = nlohmann::json::array();
  for (const auto& run : fp) fp_runs.push_back(run.to_json());
  for (const auto& run : qat) qat_runs.push_back(run.to_json());
  return {{"fp", fp_runs},
          {"qat", qat_runs},
          {"threads", fp.front().threads},
          {"time_ratios", time_ratios},
          {"time_ratio", time_ratio},
          {"memory_ratio", memory_ratio},
          {"rss_ratio", rss_ratio}};
}

std::string QatBenchResult::to_string() const {
  const auto& first = fp.front();
  std::string text = fmt::format("{} batch {} img {}, {} thread(s)\n", first.model, first.batch,
                                 first.img, first.threads);
  for (size_t round = 0; round < fp.size(); ++round) {
    text += fmt::format("round {}\n", round + 1) + describe_round("fp32", fp[round]) +
            describe_round("w4a4", qat[round]);
  }
  text += fmt::format("  QAT / FP: time {:.2f}x (median of", time_ratio);
  for (const double ratio : time_ratios) text += fmt::format(" {:.2f}", ratio);
  text +=
      fmt::format("), peak tensor memory {:.2f}x (peak RSS {:.2f}x)\n", memory_ratio, rss_ratio);
  return text;
}

}  // namespace qyolo::train
