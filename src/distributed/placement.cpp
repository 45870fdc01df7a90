#include "qyolo/distributed/placement.h"

#include "qyolo/core/error.h"

namespace qyolo::distributed {

Accelerators Accelerators::of_this_process() {
  Accelerators available;
#ifdef USE_C10D_NCCL
  available.nccl_built = true;
#endif
  available.cuda_devices = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
  return available;
}

torch::Device local_device(int local_rank, const Accelerators& available) {
  if (available.cuda_devices <= 0) return torch::kCPU;
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % available.cuda_devices)};
}

std::string choose_backend(const std::string& requested, const torch::Device& device,
                           const Accelerators& available) {
  if (requested != "auto" && requested != "gloo" && requested != "nccl") {
    throw UsageError("distributed backend \"" + requested +
                     "\" is unknown; use auto, gloo or nccl");
  }
  if (requested == "auto") return available.nccl_built && device.is_cuda() ? "nccl" : "gloo";
  if (requested == "nccl" && !available.nccl_built) {
    throw UsageError(
        "distributed backend \"nccl\" needs a LibTorch built with CUDA and NCCL (this build has "
        "neither); use gloo");
  }
  if (requested == "nccl" && !device.is_cuda()) {
    throw UsageError("distributed backend \"nccl\" needs a CUDA device, but this process runs on " +
                     device.str() + " (no GPU visible); use gloo");
  }
  return requested;
}

}  // namespace qyolo::distributed
