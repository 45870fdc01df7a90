// Timing of data-parallel training on this machine: one process with the global batch against
// two processes with half of it each, for a conv net with yolov5n's parameter count (≈1.9 M),
// and the raw cost of all-reducing that gradient over Gloo. Prints the numbers; run with
//   build/tests/test_distributed_e2e --gtest_filter='DistBench.*'
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "qyolo/distributed/context.h"
#include "qyolo/distributed/data_parallel.h"
#include "spawn.h"
#include "support/test_support.h"

namespace qyolo::distributed {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// 3×3 convolutions with yolov5n-like widths: 1.94 M parameters (yolov5n: 1.87 M).
torch::nn::Sequential yolov5n_sized_net() {
  torch::nn::Sequential net;
  const std::vector<std::pair<int64_t, int64_t>> widths{{3, 16},    {16, 32},   {32, 64},
                                                        {64, 128},  {128, 256}, {256, 256},
                                                        {256, 256}, {256, 128}, {128, 64}};
  for (size_t i = 0; i < widths.size(); ++i) {
    const int64_t stride = i >= 1 && i <= 4 ? 2 : 1;
    net->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(widths[i].first, widths[i].second, 3).stride(stride).padding(1)));
    net->push_back(torch::nn::SiLU());
  }
  return net;
}

constexpr int kGlobalBatch = 16;
constexpr int kWarmup = 2;
constexpr int kSteps = 6;

// Reports: parameters, step seconds, seconds spent in synchronize(), seconds per raw all-reduce
// of the whole gradient (25 MB bucket), the same with 1 MB buckets, and the reduced value check.
const test::RegisterWorker bench_worker("bench", [](const std::filesystem::path& out) {
  torch::set_num_threads(1);
  auto context = Context::from_env(ContextOptions().timeout(std::chrono::seconds(120)));
  torch::manual_seed(0);
  auto net = yolov5n_sized_net();
  DataParallel data_parallel(*net, context);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const int64_t share = kGlobalBatch / context.world_size();
  const auto images = torch::randn({share, 3, 160, 160});

  double step_seconds = 0, sync_seconds = 0;
  for (int step = 0; step < kWarmup + kSteps; ++step) {
    const auto start = Clock::now();
    optimizer.zero_grad();
    net->forward(images).square().mean().backward();
    const auto sync_start = Clock::now();
    data_parallel.synchronize();
    const double sync = seconds_since(sync_start);
    optimizer.step();
    if (step >= kWarmup) {
      step_seconds += seconds_since(start) / kSteps;
      sync_seconds += sync / kSteps;
    }
  }

  int64_t parameters = 0;
  for (const auto& p : net->parameters()) parameters += p.numel();
  const auto time_all_reduce = [&](int64_t bucket_elements) {
    auto flat = torch::full({parameters}, static_cast<float>(context.rank() + 1));
    context.barrier();
    const auto start = Clock::now();
    constexpr int kRepeats = 5;
    for (int i = 0; i < kRepeats; ++i) {
      std::vector<PendingCollective> pending;
      for (int64_t offset = 0; offset < parameters; offset += bucket_elements) {
        pending.push_back(context.all_reduce_sum_async(
            flat.narrow(0, offset, std::min(bucket_elements, parameters - offset))));
      }
      for (auto& p : pending) p.wait();
    }
    return std::make_pair(seconds_since(start) / kRepeats, flat[0].item<double>());
  };
  const auto [whole, value] = time_all_reduce(25 * 1024 * 1024 / 4);
  const auto [small_buckets, unused] = time_all_reduce(1024 * 1024 / 4);
  std::ofstream(out / ("rank" + std::to_string(context.rank()) + ".txt"))
      << parameters << " " << step_seconds << " " << sync_seconds << " " << whole << " "
      << small_buckets << " " << value << "\n";
  return 0;
});

struct BenchResult {
  int64_t parameters = 0;
  double step = 0, sync = 0, all_reduce = 0, all_reduce_small = 0, value = 0;
};

BenchResult run(int world_size) {
  const auto dir = qyolo::test::temp_dir("bench" + std::to_string(world_size));
  const auto ranks = test::run_ranks("bench", world_size, dir, std::chrono::seconds(600));
  for (const auto& rank : ranks) EXPECT_EQ(rank.exit_code, 0) << rank.output;
  BenchResult result;
  std::ifstream(dir / "rank0.txt") >> result.parameters >> result.step >> result.sync >>
      result.all_reduce >> result.all_reduce_small >> result.value;
  return result;
}

TEST(DistBench, OneVersusTwoProcessesWithAYolov5nSizedGradient) {
  const auto one = run(1);
  const auto two = run(2);
  EXPECT_NEAR(one.parameters, 1.9e6, 0.1e6);
  // Five in-place sums of 1 and 2: (1 + 2) · 2⁴, so the timed all-reduce really reduced.
  EXPECT_DOUBLE_EQ(two.value, 48.0);
  const double megabytes = two.parameters * 4 / 1e6;
  std::cout << std::fixed << std::setprecision(4) << "parameters: " << two.parameters << " ("
            << megabytes << " MB fp32 gradient)\n"
            << "1 process  x batch 16: step " << one.step << " s\n"
            << "2 processes x batch 8: step " << two.step << " s, of which synchronize() "
            << two.sync << " s (" << 100 * two.sync / two.step << "%)\n"
            << "raw all-reduce, 2 ranks: " << two.all_reduce << " s in one 25 MB bucket ("
            << megabytes / two.all_reduce << " MB/s), " << two.all_reduce_small
            << " s in 1 MB buckets\n";
  EXPECT_GT(two.all_reduce, 0);
}

}  // namespace
}  // namespace qyolo::distributed
