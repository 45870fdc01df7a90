// How a training command (qyolo train, qyolo correct) takes its place in a data-parallel run.
#pragma once

#include <torch/torch.h>

#include <string>

#include "qyolo/distributed/context.h"

namespace qyolo::train {

struct RunProcess {
  distributed::Context context;
  torch::Device device;
};

// Joins the run the launcher (torchrun, SLURM, scripts/launch_local.sh) describes, or runs alone
// without one. Every rank checks that the global `batch` splits evenly over the processes before
// any collective could hang, and all but rank 0 log warnings only (rank 0 speaks for the run).
// The device is `device` ("cpu", "cuda", "cuda:N"), except that a data-parallel CUDA run gives
// each process the GPU of its local rank.
RunProcess join_run(int batch, const std::string& device, int timeout_seconds);

}  // namespace qyolo::train
