#include "cli/runtime_options.h"

#include <spdlog/spdlog.h>

#include "qyolo/core/error.h"

namespace qyolo::cli {

void RuntimeOptions::add_to(CLI::App* app) {
  app->add_option("--device", device, "cpu, cuda or cuda:N (default: the config's, else cpu)");
  app->add_option("--threads", threads,
                  "Intra-op CPU threads (0 = torch's default). Report it with every timing")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
}

torch::Device RuntimeOptions::apply(const std::string& fallback) const {
  if (threads > 0) torch::set_num_threads(threads);
  const std::string name = device.value_or(fallback);
  torch::Device dev(torch::kCPU);
  try {
    dev = torch::Device(name);
  } catch (const c10::Error&) {
    throw UsageError("--device '" + name + "' is not a device; use cpu, cuda or cuda:N");
  }
  if (dev.is_cuda() && !torch::cuda::is_available()) {
    throw UsageError("--device " + name +
                     ": this qyolo is built against a LibTorch without CUDA or no GPU is visible; "
                     "use --device cpu");
  }
  spdlog::debug("device {} with {} intra-op threads", dev.str(), torch::get_num_threads());
  return dev;
}

}  // namespace qyolo::cli
