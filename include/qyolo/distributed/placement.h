// Where a process of a run computes and which c10d backend connects it: the decisions behind
// Context, kept apart from CUDA so that CPU-only builds and tests exercise them.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace qyolo::distributed {

// What this build and machine offer.
struct Accelerators {
  bool nccl_built = false;   // qyolo was compiled with the c10d NCCL backend
  int64_t cuda_devices = 0;  // CUDA devices visible to this process
  static Accelerators of_this_process();
};

// cuda:<local_rank mod devices> when CUDA devices are visible (one process per GPU, several
// nodes' local ranks wrapping around), else the CPU.
torch::Device local_device(int local_rank, const Accelerators& available);

// The backend for `requested` ("auto", "gloo" or "nccl") on `device`: "auto" is NCCL for a CUDA
// device when NCCL is built in, else Gloo. Throws UsageError for an unknown name and for NCCL
// without NCCL or without a CUDA device, saying what to use instead.
std::string choose_backend(const std::string& requested, const torch::Device& device,
                           const Accelerators& available);

}  // namespace qyolo::distributed
