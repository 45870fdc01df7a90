// qyolo bench: timings behind docs/BENCHMARKS.md. Every figure states its thread count; the
// machine load is the caller's to record (uptime), and comparisons belong within one run.
//   train-step  one full training step (forward, task loss, backward, SGD step), median seconds
//   qat         train-step without and with w4a4 QAT, each in its own process, alternated over
//               --rounds: time and memory ratios
//   loader      decode-only vs mosaic training-sample throughput of a data set's train images
//   eval        qyolo's COCOeval on a results / annotations pair
//   fake-quant  the fused LSQ+ fake-quant kernel vs ATen's learnable op
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/runtime_options.h"
#include "qyolo/data/bench_loader.h"
#include "qyolo/eval/bench_coco_eval.h"
#include "qyolo/quant/bench_fake_quant.h"
#include "qyolo/train/bench_qat.h"
#include "qyolo/train/bench_train_step.h"

namespace qyolo::cli {
namespace {

// One JSON line, or the result's text.
template <typename Result>
int print(const Result& result, bool json) {
  if (json) {
    std::cout << result.to_json().dump() << "\n";
  } else {
    std::cout << result.to_string();
  }
  return 0;
}

struct TrainStepOptions {
  train::TrainStepBenchOptions step;
  RuntimeOptions runtime;
  bool json = false;
};

struct QatOptions {
  train::QatBenchOptions qat;
  RuntimeOptions runtime;  // passed on to each process
  bool json = false;
};

struct LoaderOptions {
  std::string data;
  data::LoaderBenchOptions bench;
  RuntimeOptions runtime;  // intra-op threads collate the batches
  bool json = false;
};

struct CocoEvalBenchOptions {
  std::string predictions;
  std::string annotations;
  std::string iou_type = "bbox";
  RuntimeOptions runtime;
  bool json = false;
};

struct FakeQuantOptions {
  quant::FakeQuantBenchOptions bench;
  RuntimeOptions runtime;
  bool json = false;
};

// The flags of the step that train-step and qat time.
CLI::App* add_step_flags(CLI::App* bench, train::TrainStepBenchOptions& o, RuntimeOptions& runtime,
                         bool& json, const std::string& name, const std::string& description) {
  CLI::App* sub = bench->add_subcommand(name, description);
  sub->add_option("--model", o.model(), "Model yaml")->capture_default_str();
  sub->add_option("--batch", o.batch(), "Batch size")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_option("--img", o.img(), "Square image size")
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  sub->add_option("--steps", o.steps(), "Timed steps")->capture_default_str();
  sub->add_option("--warmup", o.warmup(), "Untimed steps first")->capture_default_str();
  runtime.add_to(sub);
  sub->add_flag("--json", json, "Print one JSON line");
  return sub;
}

}  // namespace

Command add_bench(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("bench", "Timings: training step, QAT overhead, loader, COCOeval");
  sub->require_subcommand(1);

  auto step = std::make_shared<TrainStepOptions>();
  CLI::App* step_sub = add_step_flags(
      sub, step->step, step->runtime, step->json, "train-step",
      "Median time of one training step (forward, loss, backward, SGD) and peak RSS");
  step_sub
      ->add_option("--quant", step->step.quant(),
                   "none, w<bits>a<bits> (e.g. w4a4) or an experiment yaml (all its quant groups)")
      ->capture_default_str();
  step_sub->add_option(
      "--trace", step->step.trace(),
      "Profile two more steps after the timed ones into this chrome://tracing file");

  auto qat = std::make_shared<QatOptions>();
  CLI::App* qat_sub = add_step_flags(
      sub, qat->qat.step(), qat->runtime, qat->json, "qat",
      "train-step without and with w4a4 QAT in separate processes: time and memory ratios");
  qat_sub
      ->add_option("--rounds", qat->qat.rounds(),
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
  fq_sub->add_option("--shape", fq->bench.shape(), "Activation shape N C H W")
      ->expected(4)
      ->capture_default_str();
  fq_sub->add_option("--repeats", fq->bench.repeats(), "Timed calls per kernel")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  fq->runtime.add_to(fq_sub);
  fq_sub->add_flag("--json", fq->json, "Print one JSON line");

  return {sub, [sub, step, qat, loader, ev, fq]() -> int {
            if (sub->got_subcommand("fake-quant")) {
              return print(quant::bench_fake_quant(fq->bench, fq->runtime.apply()), fq->json);
            }
            if (sub->got_subcommand("train-step")) {
              return print(train::bench_train_step(step->step, step->runtime.apply()), step->json);
            }
            if (sub->got_subcommand("qat")) {
              auto options = qat->qat;
              options.threads(qat->runtime.threads).device(qat->runtime.device);
              return print(train::bench_qat(options), qat->json);
            }
            if (sub->got_subcommand("loader")) {
              loader->runtime.apply();
              return print(data::bench_loader(loader->data, loader->bench), loader->json);
            }
            ev->runtime.apply();  // COCOeval evaluates images and categories on these threads
            return print(eval::bench_coco_eval(ev->annotations, ev->predictions, ev->iou_type),
                         ev->json);
          }};
}

}  // namespace qyolo::cli
