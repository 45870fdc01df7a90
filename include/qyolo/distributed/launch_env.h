// Where this process sits in a multi-process run, read from the variables launchers set.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace qyolo::distributed {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // "torchrun" (also scripts/launch_local.sh), "slurm", or "none" for a single process.
  std::string launcher = "none";
  // torchrun of LibTorch >= 2.4 already serves the store at MASTER_ADDR:MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE=True); rank 0 then connects to it instead of hosting one.
  bool launcher_hosts_store = false;
  // torchrun's TORCHELASTIC_RESTART_COUNT: keys of a restarted attempt must not meet old ones.
  int restart_count = 0;
};

// Looks an environment variable up; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads, in this order of precedence:
//  - torchrun's RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (and its
//    TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT);
//  - SLURM's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR defaulting to the first
//    host of SLURM_JOB_NODELIST and MASTER_PORT to 20000 + SLURM_JOB_ID % 20000, so that every
//    task of a job agrees on it without talking;
//  - otherwise a single process.
// Throws qyolo::UsageError naming the variable when a value is missing, malformed or inconsistent.
LaunchEnv launch_env_from(const EnvLookup& lookup);

// launch_env_from() on this process's environment.
LaunchEnv launch_env_from_process();

}  // namespace qyolo::distributed
