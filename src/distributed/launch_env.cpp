#include "qyolo/distributed/launch_env.h"

#include <cstdlib>
#include <string>

#include "qyolo/core/error.h"
#include "qyolo/distributed/hostlist.h"

namespace qyolo::distributed {
namespace {

int parse_int(const std::string& name, const std::string& value, int min, int max) {
  size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || parsed < min || parsed > max) {
    throw UsageError("environment variable " + name + "=\"" + value + "\" is not an integer in [" +
                     std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int>(parsed);
}

std::string require(const EnvLookup& lookup, const std::string& name, const std::string& why) {
  auto value = lookup(name);
  if (!value || value->empty()) {
    throw UsageError("environment variable " + name + " is not set, but " + why);
  }
  return *value;
}

void check_ranks(const LaunchEnv& env, const std::string& rank_var, const std::string& world_var) {
  if (env.rank >= env.world_size) {
    throw UsageError("environment variable " + rank_var + "=" + std::to_string(env.rank) +
                     " must be smaller than " + world_var + "=" + std::to_string(env.world_size));
  }
}

LaunchEnv from_torchrun(const EnvLookup& lookup) {
  const std::string why = "RANK is set (torchrun-style launch)";
  LaunchEnv env;
  env.launcher = "torchrun";
  env.rank = parse_int("RANK", *lookup("RANK"), 0, 1 << 20);
  env.world_size = parse_int("WORLD_SIZE", require(lookup, "WORLD_SIZE", why), 1, 1 << 20);
  check_ranks(env, "RANK", "WORLD_SIZE");
  const auto local = lookup("LOCAL_RANK");
  env.local_rank = local ? parse_int("LOCAL_RANK", *local, 0, 1 << 20) : env.rank;
  env.launcher_hosts_store = lookup("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  if (const auto restarts = lookup("TORCHELASTIC_RESTART_COUNT")) {
    env.restart_count = parse_int("TORCHELASTIC_RESTART_COUNT", *restarts, 0, 1 << 20);
  }
  if (env.world_size > 1) {
    env.master_addr = require(lookup, "MASTER_ADDR", why + " with WORLD_SIZE > 1");
    env.master_port = parse_int(
        "MASTER_PORT", require(lookup, "MASTER_PORT", why + " with WORLD_SIZE > 1"), 1, 65535);
  }
  return env;
}

LaunchEnv from_slurm(const EnvLookup& lookup) {
  const std::string why = "SLURM_PROCID is set (SLURM launch)";
  LaunchEnv env;
  env.launcher = "slurm";
  env.rank = parse_int("SLURM_PROCID", *lookup("SLURM_PROCID"), 0, 1 << 20);
  env.world_size = parse_int("SLURM_NTASKS", require(lookup, "SLURM_NTASKS", why), 1, 1 << 20);
  check_ranks(env, "SLURM_PROCID", "SLURM_NTASKS");
  const auto local = lookup("SLURM_LOCALID");
  env.local_rank = local ? parse_int("SLURM_LOCALID", *local, 0, 1 << 20) : 0;
  if (env.world_size == 1) return env;

  if (auto addr = lookup("MASTER_ADDR"); addr && !addr->empty()) {
    env.master_addr = *addr;
  } else {
    auto nodes = lookup("SLURM_JOB_NODELIST");
    if (!nodes || nodes->empty()) nodes = lookup("SLURM_NODELIST");
    if (!nodes || nodes->empty()) {
      throw UsageError("neither MASTER_ADDR nor SLURM_JOB_NODELIST is set, but " + why +
                       " with SLURM_NTASKS > 1; the first node hosts the rendezvous");
    }
    env.master_addr = expand_hostlist(*nodes).front();
  }
  if (auto port = lookup("MASTER_PORT"); port && !port->empty()) {
    env.master_port = parse_int("MASTER_PORT", *port, 1, 65535);
  } else {
    const auto job = lookup("SLURM_JOB_ID");
    env.master_port = job ? 20000 + parse_int("SLURM_JOB_ID", *job, 0, 2147483647) % 20000 : 29500;
  }
  return env;
}

}  // namespace

LaunchEnv launch_env_from(const EnvLookup& lookup) {
  if (lookup("RANK")) return from_torchrun(lookup);
  if (lookup("SLURM_PROCID")) return from_slurm(lookup);
  return LaunchEnv{};
}

LaunchEnv launch_env_from_process() {
  return launch_env_from([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace qyolo::distributed
