#include "cli/runtime_options.h"

#include <spdlog/spdlog.h>

#include "qyolo/core/error.h"
#include "qyolo/data/thread_budget.h"

namespace qyolo::cli {

void RuntimeOptions::add_to(CLI::App* app) {
  app->add_option("--device", device, "cpu, cuda or cuda:N (default: the config's, else cpu)");
  app->add_option("--threads", threads,
                  "Intra-op CPU threads; 0 = every core this process may run on (its CPU "
                  "affinity; OMP_NUM_THREADS when set; shared by the processes of a local "
                  "data-parallel job). Loader workers are capped at the same cores. Report it "
                  "with every timing")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
}

torch::Device RuntimeOptions::apply(const std::string& fallback, int fallback_threads) const {
  torch::set_num_threads(data::intra_op_threads(threads > 0 ? threads : fallback_threads));
  data::use_single_threaded_opencv();  // before any thread of the run uses OpenCV
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
