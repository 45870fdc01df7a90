#include "qyolo/distributed/launch_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "qyolo/core/error.h"
#include "qyolo/distributed/hostlist.h"

namespace qyolo::distributed {
namespace {

using Vars = std::map<std::string, std::string>;

LaunchEnv read(const Vars& vars) {
  return launch_env_from([&](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string usage_error_of(const Vars& vars) {
  try {
    read(vars);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Hostlist, ExpandsRangesListsAndPadding) {
  EXPECT_EQ(expand_hostlist("node[01-04,07]"),
            (std::vector<std::string>{"node01", "node02", "node03", "node04", "node07"}));
  EXPECT_EQ(expand_hostlist("n[8-10]"), (std::vector<std::string>{"n8", "n9", "n10"}));
  EXPECT_EQ(expand_hostlist("n[08-10]"), (std::vector<std::string>{"n08", "n09", "n10"}));
  EXPECT_EQ(expand_hostlist("login,gpu-a[1-2],x"),
            (std::vector<std::string>{"login", "gpu-a1", "gpu-a2", "x"}));
  EXPECT_EQ(expand_hostlist("rack[1-2]-n[1,3]"),
            (std::vector<std::string>{"rack1-n1", "rack1-n3", "rack2-n1", "rack2-n3"}));
  EXPECT_EQ(expand_hostlist("single"), (std::vector<std::string>{"single"}));
}

TEST(Hostlist, RejectsMalformedLists) {
  for (const std::string bad :
       {"node[01-04", "node01]", "n[4-2]", "n[a-b]", "a,,b", "n[1-[2]]", ""}) {
    EXPECT_THROW(expand_hostlist(bad), UsageError) << bad;
  }
  try {
    expand_hostlist("n[4-2]");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("n[4-2]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("backwards"), std::string::npos);
  }
}

TEST(LaunchEnv, NoLauncherMeansSingleProcess) {
  const auto env = read({});
  EXPECT_EQ(env.world_size, 1);
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.launcher, "none");
}

TEST(LaunchEnv, ReadsTorchrunVariables) {
  const auto env = read({{"RANK", "5"},
                         {"WORLD_SIZE", "16"},
                         {"LOCAL_RANK", "1"},
                         {"MASTER_ADDR", "10.0.0.2"},
                         {"MASTER_PORT", "29400"},
                         {"SLURM_PROCID", "0"}});
  EXPECT_EQ(env.launcher, "torchrun");
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 16);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "10.0.0.2");
  EXPECT_EQ(env.master_port, 29400);
  EXPECT_FALSE(env.launcher_hosts_store);
  EXPECT_EQ(env.restart_count, 0);

  const auto elastic = read({{"RANK", "0"},
                             {"WORLD_SIZE", "2"},
                             {"MASTER_ADDR", "h"},
                             {"MASTER_PORT", "29400"},
                             {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                             {"TORCHELASTIC_RESTART_COUNT", "2"}});
  EXPECT_TRUE(elastic.launcher_hosts_store);
  EXPECT_EQ(elastic.restart_count, 2);
}

TEST(LaunchEnv, ReadsSlurmVariablesAndFirstNodeOfTheJob) {
  const auto env = read({{"SLURM_PROCID", "9"},
                         {"SLURM_NTASKS", "16"},
                         {"SLURM_LOCALID", "1"},
                         {"SLURM_JOB_NODELIST", "gpu[07-08,11],cpu1"},
                         {"SLURM_JOB_ID", "123456"}});
  EXPECT_EQ(env.launcher, "slurm");
  EXPECT_EQ(env.rank, 9);
  EXPECT_EQ(env.world_size, 16);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "gpu07");
  EXPECT_EQ(env.master_port, 20000 + 123456 % 20000);

  const auto pinned = read({{"SLURM_PROCID", "0"},
                            {"SLURM_NTASKS", "2"},
                            {"SLURM_JOB_NODELIST", "gpu[07-08]"},
                            {"MASTER_ADDR", "head"},
                            {"MASTER_PORT", "31000"}});
  EXPECT_EQ(pinned.master_addr, "head");
  EXPECT_EQ(pinned.master_port, 31000);
}

TEST(LaunchEnv, ErrorsNameTheVariableAndValue) {
  const auto missing = usage_error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}});
  EXPECT_NE(missing.find("MASTER_ADDR"), std::string::npos) << missing;

  const auto bad_rank = usage_error_of(
      {{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}});
  EXPECT_NE(bad_rank.find("RANK=2"), std::string::npos) << bad_rank;

  const auto bad_port = usage_error_of(
      {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}});
  EXPECT_NE(bad_port.find("MASTER_PORT=\"70000\""), std::string::npos) << bad_port;

  const auto no_world = usage_error_of({{"RANK", "0"}});
  EXPECT_NE(no_world.find("WORLD_SIZE"), std::string::npos) << no_world;

  const auto no_nodes = usage_error_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}});
  EXPECT_NE(no_nodes.find("SLURM_JOB_NODELIST"), std::string::npos) << no_nodes;

  const auto garbage = usage_error_of({{"RANK", "one"}, {"WORLD_SIZE", "2"}});
  EXPECT_NE(garbage.find("RANK=\"one\""), std::string::npos) << garbage;
}

}  // namespace
}  // namespace qyolo::distributed
