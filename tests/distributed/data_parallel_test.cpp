#include "qyolo/distributed/data_parallel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include "qyolo/distributed/context.h"
#include "qyolo/distributed/sync_batch_norm.h"
#include "spawn.h"
#include "support/test_support.h"

namespace qyolo::distributed {
namespace {

constexpr int kGlobalBatch = 16;
constexpr int kSteps = 5;

// A small conv net; `norm` is Identity, BatchNorm2d or SyncBatchNorm2d. "unused" never receives
// a gradient.
struct SmallNetImpl : torch::nn::Module {
  explicit SmallNetImpl(torch::nn::AnyModule norm_module) : norm(std::move(norm_module)) {
    conv1 =
        register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)));
    register_module("norm", norm.ptr());
    conv2 =
        register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 6, 3).stride(2)));
    head = register_module("head", torch::nn::Linear(6 * 3 * 3, 4));
    unused = register_parameter("unused", torch::zeros({3}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::silu(norm.forward(conv1->forward(x)));
    y = torch::silu(conv2->forward(y));
    return head->forward(y.flatten(1));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::AnyModule norm;
  torch::nn::Linear head{nullptr};
  torch::Tensor unused;
};
TORCH_MODULE(SmallNet);

torch::nn::BatchNorm2d yolo_batch_norm() {
  return torch::nn::BatchNorm2d(torch::nn::BatchNormOptions(8).eps(1e-3).momentum(0.03));
}

// Trains on this rank's share of a fixed global batch; returns every parameter and buffer, then
// [unused has a gradient, number of buckets]. `variant`: plain | syncbn | accumulate.
std::vector<torch::Tensor> train(Context& context, const std::string& variant) {
  torch::manual_seed(0);
  const auto images = torch::randn({kGlobalBatch, 3, 8, 8});
  const auto targets = torch::randn({kGlobalBatch, 4});
  // Different initial weights per rank: DataParallel must start everyone from rank 0's.
  torch::manual_seed(1 + context.rank());
  torch::nn::AnyModule norm(torch::nn::Identity{});
  if (variant == "syncbn") {
    norm = context.is_distributed()
               ? torch::nn::AnyModule(SyncBatchNorm2d(yolo_batch_norm(), context))
               : torch::nn::AnyModule(yolo_batch_norm());
  }
  SmallNet net(norm);
  DataParallel data_parallel(*net, context, DataParallelOptions().bucket_mb(0.002));
  torch::optim::SGD optimizer(net->parameters(),
                              torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-3));

  const int64_t share = kGlobalBatch / context.world_size();
  const auto x = images.narrow(0, share * context.rank(), share);
  const auto y = targets.narrow(0, share * context.rank(), share);
  const int micro_batches = variant == "accumulate" ? 2 : 1;
  for (int step = 0; step < kSteps; ++step) {
    optimizer.zero_grad();
    if (context.is_distributed()) {
      // Each micro-batch's gradient is synchronised right after its backward.
      for (int m = 0; m < micro_batches; ++m) {
        const int64_t size = share / micro_batches;
        torch::mse_loss(net->forward(x.narrow(0, m * size, size)), y.narrow(0, m * size, size))
            .backward();
        data_parallel.synchronize();
      }
    } else {
      // The sum of micro-batch mean losses equals micro_batches × the global mean (no BN).
      (torch::mse_loss(net->forward(x), y) * micro_batches).backward();
    }
    optimizer.step();
  }
  std::vector<torch::Tensor> state;
  for (const auto& p : net->named_parameters()) state.push_back(p.value().detach().clone());
  for (const auto& b : net->named_buffers()) state.push_back(b.value().clone());
  state.push_back(torch::tensor({net->unused.grad().defined() ? 1.0 : 0.0}));
  state.push_back(torch::tensor({static_cast<double>(data_parallel.num_buckets())}));
  return state;
}

const test::RegisterWorker train_worker(
    "data_parallel_train", [](const std::filesystem::path& out) {
      auto context = Context::from_env(ContextOptions().timeout(std::chrono::seconds(60)));
      const auto state = train(context, std::getenv("QYOLO_TEST_VARIANT"));
      torch::save(state, (out / ("rank" + std::to_string(context.rank()) + ".pt")).string());
      return 0;
    });

void expect_two_ranks_match_one(const std::string& variant) {
  const auto dir = qyolo::test::temp_dir("dp_" + variant);
  const auto ranks = test::run_ranks("data_parallel_train", 2, dir, std::chrono::seconds(120),
                                     false, {{"QYOLO_TEST_VARIANT", variant}});
  for (size_t r = 0; r < ranks.size(); ++r) {
    ASSERT_EQ(ranks[r].exit_code, 0) << "rank " << r << ":\n" << ranks[r].output;
  }
  Context single;
  const auto reference = train(single, variant);
  for (int rank = 0; rank < 2; ++rank) {
    std::vector<torch::Tensor> state;
    torch::load(state, (dir / ("rank" + std::to_string(rank) + ".pt")).string());
    ASSERT_EQ(state.size(), reference.size());
    const size_t tensors = state.size() - 2;
    for (size_t i = 0; i < tensors; ++i) {
      const double difference = (state[i].to(torch::kDouble) - reference[i].to(torch::kDouble))
                                    .abs()
                                    .max()
                                    .item<double>();
      EXPECT_LT(difference, 1e-5) << variant << " rank " << rank << " tensor " << i;
    }
    EXPECT_EQ(state[tensors].item<double>(), 0) << "a parameter without gradient got one";
    EXPECT_GT(state[tensors + 1].item<double>(), 2) << "expected several gradient buckets";
  }
}

TEST(DataParallel, TwoRanksOfEightMatchOneProcessOfSixteen) { expect_two_ranks_match_one("plain"); }

TEST(DataParallel, GradientAccumulationOverMicroBatches) {
  expect_two_ranks_match_one("accumulate");
}

TEST(SyncBatchNorm, TwoRanksMatchBatchNormOverTheGlobalBatch) {
  expect_two_ranks_match_one("syncbn");
}

TEST(SyncBatchNorm, SingleProcessEqualsBatchNorm2dAndKeepsItsNames) {
  Context single;
  torch::manual_seed(3);
  auto reference = yolo_batch_norm();
  torch::nn::init::uniform_(reference->weight, 0.5, 1.5);
  torch::nn::init::uniform_(reference->bias, -0.5, 0.5);
  auto copy = yolo_batch_norm();
  {
    torch::NoGradGuard no_grad;
    copy->weight.copy_(reference->weight);
    copy->bias.copy_(reference->bias);
  }
  SyncBatchNorm2d sync(copy, single);
  EXPECT_TRUE(sync->weight.is_same(copy->weight)) << "parameters must be shared, not copied";

  std::vector<std::string> reference_names, sync_names;
  for (const auto& item : reference->named_parameters()) reference_names.push_back(item.key());
  for (const auto& item : reference->named_buffers()) reference_names.push_back(item.key());
  for (const auto& item : sync->named_parameters()) sync_names.push_back(item.key());
  for (const auto& item : sync->named_buffers()) sync_names.push_back(item.key());
  EXPECT_EQ(sync_names, reference_names);

  const auto input = (torch::randn({4, 8, 5, 5}) * 3 + 2).requires_grad_(true);
  const auto input_sync = input.detach().clone().requires_grad_(true);
  const auto upstream = torch::randn({4, 8, 5, 5});
  for (int step = 0; step < 2; ++step) {
    (reference->forward(input) * upstream).sum().backward();
    (sync->forward(input_sync) * upstream).sum().backward();
  }
  EXPECT_TRUE(torch::allclose(input.grad(), input_sync.grad(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(reference->weight.grad(), sync->weight.grad(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(reference->running_var, sync->running_var, 1e-6, 1e-7));
  EXPECT_EQ(sync->num_batches_tracked.item<int64_t>(), 2);
  reference->eval();
  sync->eval();
  EXPECT_TRUE(torch::allclose(reference->forward(input), sync->forward(input), 1e-5, 1e-6));
}

}  // namespace
}  // namespace qyolo::distributed
