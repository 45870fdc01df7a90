// The process group of a data-parallel run: who this process is and the collectives it can call.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qyolo/distributed/launch_env.h"

namespace qyolo::distributed {

struct ContextOptions {
  // Longest a collective (or the rendezvous) may wait for its peers. Rank 0 evaluating or writing
  // a checkpoint while the others wait at a barrier must fit in it, hence the generous default.
  TORCH_ARG(std::chrono::milliseconds, timeout) = std::chrono::minutes(30);
  // How often each rank publishes a heartbeat in the store; a rank whose heartbeat stops for
  // about two intervals is reported as lost when a collective fails.
  TORCH_ARG(std::chrono::milliseconds, heartbeat_interval) = std::chrono::seconds(1);
  // "auto" (NCCL when built with it and CUDA is available, else Gloo), "gloo" or "nccl".
  TORCH_ARG(std::string, backend) = "auto";
};

// A collective that was launched and has not been waited for yet.
class PendingCollective {
 public:
  class Impl;
  PendingCollective();
  explicit PendingCollective(std::unique_ptr<Impl> impl);
  PendingCollective(PendingCollective&&) noexcept;
  PendingCollective& operator=(PendingCollective&&) noexcept;
  ~PendingCollective();

  // Blocks until the collective finished and its result is in the tensors it was given.
  // Throws qyolo::Error naming the lost rank when a peer died or hung past the timeout.
  void wait();

 private:
  std::unique_ptr<Impl> impl_;
};

// Rank, world size, local rank and device of this process, plus the process group connecting it
// to its peers (none when it runs alone: every collective is then the identity).
class Context {
 public:
  class Impl;

  // A single process on `device`.
  explicit Context(torch::Device device = torch::kCPU);
  // Joins the run described by `env` (single process when env.world_size == 1): TCPStore on
  // env.master_addr:env.master_port hosted by rank 0, then a Gloo or NCCL process group.
  Context(const LaunchEnv& env, const ContextOptions& options);
  // Joins the run the launcher (torchrun, SLURM, scripts/launch_local.sh) describes.
  static Context from_env(const ContextOptions& options = {});

  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  ~Context();

  int rank() const;
  int world_size() const;
  int local_rank() const;
  bool is_main() const { return rank() == 0; }
  bool is_distributed() const { return world_size() > 1; }
  // cuda:<local rank> when CUDA is available, else the CPU.
  torch::Device device() const;
  // "gloo", "nccl" or "none".
  std::string backend() const;

  // Element-wise sum over ranks, in place. Tensors of one dtype are reduced as one flat buffer.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  // Launches the in-place sum of one contiguous tensor without waiting for it.
  PendingCollective all_reduce_sum_async(const torch::Tensor& flat);
  // Mean over ranks of `value` (for logging losses and metrics); the input is not modified.
  torch::Tensor all_reduce_mean(const torch::Tensor& value);
  double all_reduce_mean(double value);
  // Overwrites `tensors` on every rank with root's values (e.g. quantizer steps that rank 0
  // initialised from data).
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Every rank's `local` in rank order (e.g. detections of a sharded validation set). The
  // first dimension may differ between ranks; the other dimensions and the dtype may not.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& local);
  // Returns when every rank reached it.
  void barrier();

  // Leaves the run cleanly: stops the heartbeat and, on rank 0, keeps the store up until every
  // rank has left. Called by the destructor; safe to call twice.
  void shutdown();

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs `work` on rank 0 first and then, once it is done, on the other ranks (e.g. rank 0 writes
// the label caches the others then read).
void main_first(Context& context, const std::function<void()>& work);

// Overwrites every parameter and buffer of `module` with rank 0's values.
void broadcast_module(torch::nn::Module& module, Context& context);

}  // namespace qyolo::distributed
