#include "qyolo/data/thread_budget.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <opencv2/core.hpp>
#include <thread>

namespace qyolo::data {
namespace {

// A positive integer environment variable, else 0.
int positive_env(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return (end != text && *end == '\0' && value > 0 && value <= 1 << 20) ? static_cast<int>(value)
                                                                        : 0;
}

}  // namespace

int usable_cores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  // Fails (EINVAL) only on machines with more CPUs than a cpu_set_t holds (1024).
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    const int count = CPU_COUNT(&allowed);
    if (count > 0) return count;
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int CpuBudget::cores_per_process() const {
  return std::max(1, cores / std::max(1, local_processes));
}

CpuBudget CpuBudget::current() {
  CpuBudget budget;
  budget.cores = usable_cores();
  budget.omp_num_threads = positive_env("OMP_NUM_THREADS");
  budget.local_processes = std::max(1, positive_env("LOCAL_WORLD_SIZE"));
  return budget;
}

int intra_op_threads(int requested, const CpuBudget& budget) {
  if (requested > 0) return requested;
  if (budget.omp_num_threads > 0) return budget.omp_num_threads;
  return budget.cores_per_process();
}

int loader_workers(int configured, const CpuBudget& budget) {
  return std::min(configured, budget.cores_per_process());
}

void use_single_threaded_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::setNumThreads(1);
    // cv::Mat::zeros / ones / eye build a MatExpr through a process-wide operator object that
    // OpenCV creates lazily behind a double-checked lock; the first call from two loader workers
    // at once is a data race (ThreadSanitizer in the loader tests). Create it here, before any
    // worker thread starts.
    const cv::Mat warm_up = cv::Mat::zeros(1, 1, CV_8U);
    (void)warm_up;
  });
}

}  // namespace qyolo::data
