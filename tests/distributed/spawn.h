// Runs a test's worker function in N freshly exec'd copies of the test binary, one per rank,
// with the variables torchrun sets. Exec (not a bare fork) gives every rank a clean process
// with no inherited torch or gloo threads.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "qyolo/core/error.h"

extern char** environ;

namespace qyolo::distributed::test {

// A worker runs in one rank's process; its return value is the process's exit code.
using Worker = std::function<int(const std::filesystem::path& out_dir)>;

inline std::map<std::string, Worker>& workers() {
  static std::map<std::string, Worker> registry;
  return registry;
}

struct RegisterWorker {
  RegisterWorker(const std::string& name, Worker worker) { workers()[name] = std::move(worker); }
};

// In a rank process (QYOLO_DIST_WORKER set) runs the named worker before any test and exits.
class WorkerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* name = std::getenv("QYOLO_DIST_WORKER");
    if (name == nullptr) return;
    int code = 3;
    try {
      code = workers().at(name)(std::getenv("QYOLO_DIST_OUT"));
    } catch (const qyolo::Error& e) {
      std::cerr << "qyolo::Error: " << e.what() << std::endl;
      code = static_cast<int>(e.exit_code());
    } catch (const std::exception& e) {
      std::cerr << "exception: " << e.what() << std::endl;
    }
    std::cout.flush();
    std::cerr.flush();
    std::exit(code);
  }
};

inline const bool worker_environment_registered =
    (::testing::AddGlobalTestEnvironment(new WorkerEnvironment), true);

// A TCP port that was free a moment ago on the loopback interface.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct RankOutcome {
  int exit_code = -1;      // -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 otherwise
  bool timed_out = false;  // killed by run_ranks (limit passed, or rank 0 decided)
  double seconds = 0;      // from launch to exit
  std::string output;      // stdout + stderr
};

// Starts `world_size` ranks of `worker` and waits for all of them (at most `limit`). With
// `rank0_decides`, the other ranks are killed as soon as rank 0 has exited (for frozen peers).
// `extra_env` adds variables ("{rank}" in a value becomes the rank) or, with an empty value,
// removes one of the torchrun variables.
inline std::vector<RankOutcome> run_ranks(
    const std::string& worker, int world_size, const std::filesystem::path& out_dir,
    std::chrono::seconds limit, bool rank0_decides = false,
    const std::map<std::string, std::string>& extra_env = {}) {
  const int port = free_port();
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter =
      std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name();
  std::vector<pid_t> pids(world_size);
  const auto start = std::chrono::steady_clock::now();
  for (int rank = 0; rank < world_size; ++rank) {
    std::map<std::string, std::string> vars{{"RANK", std::to_string(rank)},
                                            {"LOCAL_RANK", std::to_string(rank)},
                                            {"WORLD_SIZE", std::to_string(world_size)},
                                            {"MASTER_ADDR", "127.0.0.1"},
                                            {"MASTER_PORT", std::to_string(port)},
                                            {"QYOLO_DIST_WORKER", worker},
                                            {"QYOLO_DIST_OUT", out_dir.string()}};
    for (const auto& [key, value] : extra_env) {
      std::string text = value;
      if (const auto at = text.find("{rank}"); at != std::string::npos) {
        text.replace(at, 6, std::to_string(rank));
      }
      vars[key] = text;
    }
    std::vector<std::string> strings;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      if (vars.count(entry.substr(0, entry.find('='))) == 0) strings.push_back(entry);
    }
    for (const auto& [key, value] : vars) {
      if (!value.empty()) strings.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& s : strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const std::string log = (out_dir / ("rank" + std::to_string(rank) + ".log")).string();
    std::string exe = "/proc/self/exe";
    std::vector<char*> argv{exe.data(), const_cast<char*>(filter.c_str()), nullptr};

    const pid_t pid = ::fork();
    if (pid == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      if (out == nullptr || ::dup2(::fileno(stdout), STDERR_FILENO) < 0) ::_exit(126);
      ::execve(exe.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    pids[rank] = pid;
  }

  std::vector<RankOutcome> outcomes(world_size);
  std::vector<bool> done(world_size, false);
  int remaining = world_size;
  while (remaining > 0) {
    const bool expired =
        std::chrono::steady_clock::now() - start > limit || (rank0_decides && done[0]);
    for (int rank = 0; rank < world_size; ++rank) {
      if (done[rank]) continue;
      if (expired) {
        ::kill(pids[rank], SIGKILL);
        outcomes[rank].timed_out = true;
      }
      int status = 0;
      if (::waitpid(pids[rank], &status, expired ? 0 : WNOHANG) != pids[rank]) continue;
      done[rank] = true;
      --remaining;
      auto& outcome = outcomes[rank];
      outcome.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int rank = 0; rank < world_size; ++rank) {
    std::ifstream in(out_dir / ("rank" + std::to_string(rank) + ".log"));
    std::stringstream text;
    text << in.rdbuf();
    outcomes[rank].output = text.str();
  }
  return outcomes;
}

}  // namespace qyolo::distributed::test
