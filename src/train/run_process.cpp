#include "qyolo/train/run_process.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "qyolo/data/create_loader.h"

namespace qyolo::train {

RunProcess join_run(int batch, const std::string& device, int timeout_seconds) {
  auto context = distributed::Context::from_env(
      distributed::ContextOptions().timeout(std::chrono::seconds(timeout_seconds)));
  data::check_global_batch(batch, context.world_size());
  if (!context.is_main()) spdlog::set_level(spdlog::level::warn);
  const torch::Device configured(device);
  const torch::Device chosen =
      configured.is_cuda() && context.is_distributed() ? context.device() : configured;
  return {std::move(context), chosen};
}

}  // namespace qyolo::train
