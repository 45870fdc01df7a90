#include "qyolo/distributed/context.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <thread>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <vector>

#include "qyolo/core/error.h"
#include "qyolo/core/torch_compat.h"
#include "spawn.h"
#include "support/test_support.h"

namespace qyolo::distributed {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Context, SingleProcessCollectivesAreTheIdentity) {
  Context context;
  EXPECT_EQ(context.rank(), 0);
  EXPECT_EQ(context.world_size(), 1);
  EXPECT_TRUE(context.is_main());
  EXPECT_FALSE(context.is_distributed());
  EXPECT_EQ(context.backend(), "none");
  auto t = torch::arange(4.0);
  context.all_reduce_sum({t});
  context.broadcast({t});
  context.barrier();
  EXPECT_TRUE(torch::equal(t, torch::arange(4.0)));
  EXPECT_DOUBLE_EQ(context.all_reduce_mean(2.5), 2.5);
  context.all_reduce_sum_async(t).wait();
  const auto gathered = context.all_gather(t);
  ASSERT_EQ(gathered.size(), 1u);
  EXPECT_TRUE(torch::equal(gathered[0], t));
  int calls = 0;
  main_first(context, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(Context, UnknownBackendIsAUsageError) {
  LaunchEnv env;
  env.world_size = 2;
  try {
    Context context(env, ContextOptions().backend("mpi"));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("\"mpi\""), std::string::npos) << e.what();
  }
}

// Every collective in a two-rank run; results are saved for the parent to check.
const test::RegisterWorker collectives_worker("collectives", [](const std::filesystem::path& out) {
  auto context = Context::from_env(ContextOptions().timeout(seconds(30)));
  const double r = context.rank();
  auto a = torch::full({3}, r + 1);                                // float
  auto b = torch::full({2, 2}, 10 * (r + 1), torch::kDouble);      // double
  auto c = torch::arange(4, torch::kLong) * (context.rank() + 1);  // int64
  auto strided = torch::full({4, 4}, r + 1).t().narrow(0, 1, 2);   // non-contiguous
  context.all_reduce_sum({a, b, c, strided});

  auto x = context.is_main() ? torch::tensor({7.0f, 8.0f, 9.0f}) : torch::zeros({3});
  auto n = context.is_main() ? torch::tensor({42}, torch::kLong) : torch::zeros({1}, torch::kLong);
  auto flag = torch::full({2}, context.is_main(), torch::kBool);  // Gloo has no bool type
  context.broadcast({x, n, flag});

  // Rank r contributes r + 2 rows of value r, so rows differ between ranks.
  const auto gathered = context.all_gather(torch::full({context.rank() + 2, 3}, r, torch::kDouble));

  const double mean = context.all_reduce_mean(r);
  const auto int_mean = context.all_reduce_mean(torch::tensor({context.rank() * 3}));
  context.barrier();

  auto flat = torch::ones({100000}) * (r + 1);
  auto pending = context.all_reduce_sum_async(flat);
  pending.wait();

  torch::manual_seed(10 + context.rank());
  torch::nn::Sequential module(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  module->buffers()[0].fill_(r);  // running_mean differs per rank before the broadcast
  broadcast_module(*module, context);

  // Rank 0's work is done before the others start theirs.
  bool saw_main_work = context.is_main();
  main_first(context, [&] {
    if (context.is_main())
      std::ofstream(out / "main_first") << "done";
    else
      saw_main_work = std::filesystem::exists(out / "main_first");
  });
  std::vector<torch::Tensor> results{a,
                                     b,
                                     c,
                                     strided,
                                     x,
                                     n,
                                     torch::tensor({mean}),
                                     int_mean,
                                     flat,
                                     gathered[0],
                                     gathered[1],
                                     flag,
                                     torch::tensor({saw_main_work})};
  for (const auto& p : module->parameters()) results.push_back(p.detach());
  for (const auto& buf : module->buffers()) results.push_back(buf);
  torch::save(results, (out / ("rank" + std::to_string(context.rank()) + ".pt")).string());
  return 0;
});

TEST(Context, TwoRanksRunEveryCollective) {
  const auto dir = qyolo::test::temp_dir("collectives");
  const auto ranks = test::run_ranks("collectives", 2, dir, seconds(60));
  std::vector<std::vector<torch::Tensor>> results(2);
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_EQ(ranks[rank].exit_code, 0) << ranks[rank].output;
    torch::load(results[rank], (dir / ("rank" + std::to_string(rank) + ".pt")).string());
  }
  for (const auto& result : results) {
    EXPECT_TRUE(torch::equal(result[0], torch::full({3}, 3.0f)));
    EXPECT_TRUE(torch::equal(result[1], torch::full({2, 2}, 30.0, torch::kDouble)));
    EXPECT_TRUE(torch::equal(result[2], torch::arange(4, torch::kLong) * 3));
    EXPECT_TRUE(torch::equal(result[3], torch::full({2, 4}, 3.0f)));
    EXPECT_TRUE(torch::equal(result[4], torch::tensor({7.0f, 8.0f, 9.0f})));
    EXPECT_EQ(result[5].item<int64_t>(), 42);
    EXPECT_DOUBLE_EQ(result[6].item<double>(), 0.5);
    EXPECT_DOUBLE_EQ(result[7].item<double>(), 1.5);
    EXPECT_TRUE(torch::equal(result[8], torch::full({100000}, 3.0f)));
  }
  for (const auto& result : results) {
    EXPECT_TRUE(torch::equal(result[9], torch::zeros({2, 3}, torch::kDouble)));
    EXPECT_TRUE(torch::equal(result[10], torch::ones({3, 3}, torch::kDouble)));
  }
  for (const auto& result : results) EXPECT_TRUE(result[11].all().item<bool>()) << "bool broadcast";
  for (const auto& result : results) EXPECT_TRUE(result[12].item<bool>()) << "main_first order";
  for (size_t i = 13; i < results[0].size(); ++i) {
    EXPECT_TRUE(torch::equal(results[0][i], results[1][i])) << "module tensor " << i;
  }
  EXPECT_TRUE(torch::equal(results[0][17], torch::zeros({2}))) << "rank 0's running_mean";
}

// The same run started the way srun starts tasks: no torchrun variables, only SLURM's.
TEST(Context, SlurmVariablesFormARun) {
  const auto dir = qyolo::test::temp_dir("slurm");
  const auto ranks = test::run_ranks("collectives", 2, dir, seconds(60), false,
                                     {{"RANK", ""},
                                      {"WORLD_SIZE", ""},
                                      {"LOCAL_RANK", ""},
                                      {"MASTER_ADDR", ""},
                                      {"SLURM_PROCID", "{rank}"},
                                      {"SLURM_LOCALID", "{rank}"},
                                      {"SLURM_NTASKS", "2"},
                                      {"SLURM_JOB_NODELIST", "localhost,node[2-3]"}});
  for (const auto& rank : ranks) {
    ASSERT_EQ(rank.exit_code, 0) << rank.output;
    EXPECT_NE(rank.output.find("joined the run at localhost:"), std::string::npos) << rank.output;
  }
  std::vector<torch::Tensor> result;
  torch::load(result, (dir / "rank1.pt").string());
  EXPECT_TRUE(torch::equal(result[0], torch::full({3}, 3.0f)));
}

// torchrun >= 2.4 serves the store itself (TORCHELASTIC_USE_AGENT_STORE): rank 0 must connect
// to it rather than host one, under a prefix of the restart attempt.
TEST(Context, UsesTheStoreTheLauncherServes) {
  const auto dir = qyolo::test::temp_dir("agent_store");
  const int port = test::free_port();
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(port);
  options.isServer = true;
  options.waitWorkers = false;
  compat::use_classic_tcpstore_server(options);
  c10d::TCPStore launcher_store("127.0.0.1", options);
  const auto ranks = test::run_ranks("collectives", 2, dir, seconds(60), false,
                                     {{"MASTER_PORT", std::to_string(port)},
                                      {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                      {"TORCHELASTIC_RESTART_COUNT", "3"}});
  for (const auto& rank : ranks) ASSERT_EQ(rank.exit_code, 0) << rank.output;
  EXPECT_TRUE(launcher_store.check({"qyolo/attempt_3/heartbeat/0", "qyolo/attempt_3/left/1"}));
}

// Rank 1 never joins: rank 0 must give up after the timeout and say where it waited.
const test::RegisterWorker absent_peer_worker("absent_peer", [](const std::filesystem::path&) {
  if (std::string(std::getenv("RANK")) == "1") return 0;
  Context::from_env(ContextOptions().timeout(seconds(2)));
  return 0;
});

TEST(Context, RendezvousWithoutThePeerFailsAfterTheTimeout) {
  const auto dir = qyolo::test::temp_dir("absent_peer");
  const auto ranks = test::run_ranks("absent_peer", 2, dir, seconds(30));
  EXPECT_EQ(ranks[0].exit_code, 1) << ranks[0].output;
  EXPECT_NE(ranks[0].output.find("rank 0 of 2 could not join the run at 127.0.0.1:"),
            std::string::npos)
      << ranks[0].output;
  EXPECT_NE(ranks[0].output.find("rank 1 never arrived"), std::string::npos) << ranks[0].output;
  EXPECT_LT(ranks[0].seconds, 10.0 * qyolo::test::wall_clock_scale());
}

// Rank `victim` leaves the run abruptly after a few steps (`how`: kill, freeze, stall, throw); the
// other rank keeps calling all-reduce and must fail with an error that names the victim.
const test::RegisterWorker fault_worker("fault", [](const std::filesystem::path&) {
  auto context =
      Context::from_env(ContextOptions().timeout(seconds(4)).heartbeat_interval(milliseconds(200)));
  const int victim = std::atoi(std::getenv("QYOLO_TEST_VICTIM"));
  const std::string how = std::getenv("QYOLO_TEST_FAULT");
  for (int step = 0; step < 1000; ++step) {
    if (context.rank() == victim && step == 3) {
      if (how == "kill") ::raise(SIGKILL);
      if (how == "freeze") ::raise(SIGSTOP);
      // Alive (heartbeat running) but stuck far longer than the timeout.
      if (how == "stall") std::this_thread::sleep_for(seconds(30));
      if (how == "throw") throw Error("simulated failure while loading a batch");
    }
    auto t = torch::ones({1000});
    context.all_reduce_sum({t});
    std::this_thread::sleep_for(milliseconds(20));
  }
  return 0;
});

struct FaultCase {
  std::string how;
  int victim;
  std::string expected;
};

class PeerFailure : public ::testing::TestWithParam<FaultCase> {};

TEST_P(PeerFailure, SurvivorExitsWithinTheTimeoutNamingTheLostRank) {
  const auto& fault = GetParam();
  const auto dir = qyolo::test::temp_dir("fault_" + fault.how);
  const auto ranks = test::run_ranks(
      "fault", 2, dir, seconds(40), /*rank0_decides=*/fault.victim != 0,
      {{"QYOLO_TEST_FAULT", fault.how}, {"QYOLO_TEST_VICTIM", std::to_string(fault.victim)}});
  const int survivor = 1 - fault.victim;
  const auto& outcome = ranks[survivor];
  EXPECT_FALSE(outcome.timed_out) << outcome.output;
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find(fault.expected), std::string::npos) << outcome.output;
  // Start-up (< 3 s here), 3 steps, at most the 4 s timeout, then the heartbeat check (< 1 s).
  EXPECT_LT(outcome.seconds, 12.0 * qyolo::test::wall_clock_scale()) << outcome.output;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, PeerFailure,
    ::testing::Values(FaultCase{"kill", 1, "lost rank 1: its heartbeat stopped"},
                      FaultCase{"freeze", 1, "lost rank 1: its heartbeat stopped"},
                      FaultCase{"stall", 1, "lost rank 1: it is alive but did not reach"},
                      FaultCase{"throw", 1, "lost rank 1: it left the run (it failed"},
                      FaultCase{"kill", 0, "lost rank 0"}),
    [](const auto& info) { return info.param.how + "_rank" + std::to_string(info.param.victim); });

}  // namespace
}  // namespace qyolo::distributed
