#include "qyolo/distributed/placement.h"

#include <gtest/gtest.h>

#include <string>

#include "qyolo/core/error.h"

namespace qyolo::distributed {
namespace {

Accelerators gpus(int64_t count, bool nccl = true) {
  Accelerators available;
  available.nccl_built = nccl;
  available.cuda_devices = count;
  return available;
}

std::string usage_error_of(const std::string& requested, const torch::Device& device,
                           const Accelerators& available) {
  try {
    choose_backend(requested, device, available);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

TEST(Placement, LocalRanksWrapAroundTheVisibleGpus) {
  EXPECT_EQ(local_device(0, gpus(4)), torch::Device("cuda:0"));
  EXPECT_EQ(local_device(3, gpus(4)), torch::Device("cuda:3"));
  EXPECT_EQ(local_device(5, gpus(4)), torch::Device("cuda:1"));
  EXPECT_EQ(local_device(1, gpus(1)), torch::Device("cuda:0"));
}

TEST(Placement, WithoutGpusEveryRankRunsOnTheCpu) {
  EXPECT_EQ(local_device(0, gpus(0)), torch::Device(torch::kCPU));
  EXPECT_EQ(local_device(7, gpus(0, false)), torch::Device(torch::kCPU));
}

TEST(Placement, AutoPicksNcclOnlyForACudaDeviceOfANcclBuild) {
  EXPECT_EQ(choose_backend("auto", torch::Device("cuda:1"), gpus(2)), "nccl");
  EXPECT_EQ(choose_backend("auto", torch::kCPU, gpus(0)), "gloo");
  EXPECT_EQ(choose_backend("auto", torch::Device("cuda:0"), gpus(2, false)), "gloo");
  EXPECT_EQ(choose_backend("gloo", torch::Device("cuda:0"), gpus(2)), "gloo");
  EXPECT_EQ(choose_backend("nccl", torch::Device("cuda:0"), gpus(2)), "nccl");
}

TEST(Placement, NcclWithoutNcclOrWithoutAGpuSaysWhatToUse) {
  const auto not_built = usage_error_of("nccl", torch::Device("cuda:0"), gpus(2, false));
  EXPECT_NE(not_built.find("LibTorch built with CUDA and NCCL"), std::string::npos) << not_built;
  EXPECT_NE(not_built.find("use gloo"), std::string::npos) << not_built;
  const auto no_gpu = usage_error_of("nccl", torch::kCPU, gpus(0));
  EXPECT_NE(no_gpu.find("needs a CUDA device"), std::string::npos) << no_gpu;
  EXPECT_NE(no_gpu.find("use gloo"), std::string::npos) << no_gpu;
  const auto unknown = usage_error_of("mpi", torch::kCPU, gpus(0));
  EXPECT_NE(unknown.find("\"mpi\""), std::string::npos) << unknown;
}

TEST(Placement, ThisProcessMatchesLibTorch) {
  const auto available = Accelerators::of_this_process();
  EXPECT_EQ(available.cuda_devices > 0, torch::cuda::is_available());
  EXPECT_EQ(local_device(0, available).is_cuda(), torch::cuda::is_available());
}

}  // namespace
}  // namespace qyolo::distributed
