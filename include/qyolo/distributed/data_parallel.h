// Data-parallel training of a torch::nn::Module: same weights everywhere, averaged gradients.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "qyolo/distributed/context.h"

namespace qyolo::distributed {

struct DataParallelOptions {
  // Gradients are all-reduced in flat buckets of about this size, each launched as soon as
  // backward has produced all of its gradients, so communication overlaps the rest of backward.
  TORCH_ARG(double, bucket_mb) = 25.0;
  // Overwrite the module's parameters and buffers with rank 0's at construction.
  TORCH_ARG(bool, broadcast_module) = true;
};

// Averages the gradients of `module` over the ranks of `context`.
//
// Construct it once the set of trainable parameters is final (after quantizers were installed
// and parameters frozen); build a new one when that set changes. Then, after every backward():
//
//   loss.backward();
//   data_parallel.synchronize();   // .grad now holds the mean over ranks
//   optimizer.step();
//
// Gradient accumulation over several backward() calls works: each synchronize() adds the mean of
// that backward's gradients to .grad. Parameters that got no gradient on any rank keep an
// undefined (or unchanged) .grad, like in a single process.
// With a single process it registers nothing and synchronize() returns at once.
class DataParallel {
 public:
  class Impl;
  DataParallel(torch::nn::Module& module, Context& context,
               const DataParallelOptions& options = {});
  DataParallel(DataParallel&&) noexcept;
  DataParallel& operator=(DataParallel&&) noexcept;
  ~DataParallel();

  // Launches the buckets backward did not complete, waits for every all-reduce and adds the
  // averaged gradients to .grad. Throws qyolo::Error naming the lost rank if a peer failed.
  void synchronize();

  // Number of gradient buckets (0 for a single process).
  size_t num_buckets() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace qyolo::distributed
