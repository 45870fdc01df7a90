// Thread budget: what --threads 0 and the loader worker cap resolve to, from the process's CPU
// affinity and environment, and OpenCV made single-threaded once, never from worker threads.
#include "qyolo/data/thread_budget.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "augment_synthetic.h"
#include "qyolo/data/bench_loader.h"
#include "qyolo/data/loader.h"
#include "support/test_support.h"

namespace {

// Threads that called cv::setNumThreads, recorded by the interposer below.
std::mutex set_num_threads_mutex;
std::vector<std::thread::id> set_num_threads_callers;

}  // namespace

// Interposes OpenCV's cv::setNumThreads for this test program (the executable's definition comes
// first in ELF symbol lookup): records the calling thread, then calls the real one.
void cv::setNumThreads(int threads) {
  {
    std::lock_guard<std::mutex> lock(set_num_threads_mutex);
    set_num_threads_callers.push_back(std::this_thread::get_id());
  }
  using SetNumThreads = void (*)(int);
  static const auto real =
      reinterpret_cast<SetNumThreads>(dlsym(RTLD_NEXT, "_ZN2cv13setNumThreadsEi"));
  real(threads);
}

namespace qyolo::data {
namespace {

CpuBudget budget(int cores, int omp_num_threads = 0, int local_processes = 1) {
  CpuBudget b;
  b.cores = cores;
  b.omp_num_threads = omp_num_threads;
  b.local_processes = local_processes;
  return b;
}

TEST(ThreadBudget, ZeroThreadsMeansEveryCoreOfThisProcess) {
  EXPECT_EQ(intra_op_threads(0, budget(2)), 2);
  EXPECT_EQ(intra_op_threads(0, budget(64)), 64);
  EXPECT_EQ(intra_op_threads(3, budget(64)), 3);  // an explicit count is kept
  EXPECT_EQ(intra_op_threads(8, budget(2)), 8);
  // OMP_NUM_THREADS is honoured, as torch honours it.
  EXPECT_EQ(intra_op_threads(0, budget(64, 5)), 5);
  EXPECT_EQ(intra_op_threads(2, budget(64, 5)), 2);
  // The processes of a local data-parallel job share the cores.
  EXPECT_EQ(intra_op_threads(0, budget(8, 0, 2)), 4);
  EXPECT_EQ(intra_op_threads(0, budget(2, 0, 4)), 1);
}

TEST(ThreadBudget, LoaderWorkersNeverOutnumberTheCores) {
  EXPECT_EQ(loader_workers(4, budget(2)), 2);
  EXPECT_EQ(loader_workers(1, budget(2)), 1);
  EXPECT_EQ(loader_workers(0, budget(2)), 0);
  EXPECT_EQ(loader_workers(16, budget(8, 0, 2)), 4);
  EXPECT_EQ(loader_workers(8, budget(1, 0, 3)), 1);
}

// Restores the calling thread's CPU affinity when it goes out of scope.
class AffinityGuard {
 public:
  AffinityGuard() { pthread_getaffinity_np(pthread_self(), sizeof(saved_), &saved_); }
  ~AffinityGuard() { pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_); }
  const cpu_set_t& saved() const { return saved_; }

 private:
  cpu_set_t saved_;
};

TEST(ThreadBudget, UsableCoresFollowTheAffinityMask) {
  AffinityGuard guard;
  EXPECT_EQ(usable_cores(), CPU_COUNT(&guard.saved()));
  int first = 0;
  while (!CPU_ISSET(first, &guard.saved())) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
  EXPECT_EQ(usable_cores(), 1);  // as under `taskset -c 0`
  EXPECT_EQ(intra_op_threads(0, CpuBudget::current()), 1);
}

// Sets an environment variable for the scope, restoring its previous value.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~EnvGuard() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ThreadBudget, CurrentBudgetReadsOmpNumThreadsAndLocalWorldSize) {
  {
    EnvGuard omp("OMP_NUM_THREADS", "3");
    EnvGuard local("LOCAL_WORLD_SIZE", "2");
    const CpuBudget b = CpuBudget::current();
    EXPECT_EQ(b.omp_num_threads, 3);
    EXPECT_EQ(b.local_processes, 2);
    EXPECT_EQ(b.cores, usable_cores());
  }
  for (const char* bad : {"", "abc", "0", "-2", "4x"}) {
    EnvGuard omp("OMP_NUM_THREADS", bad);
    EnvGuard local("LOCAL_WORLD_SIZE", bad);
    const CpuBudget b = CpuBudget::current();
    EXPECT_EQ(b.omp_num_threads, 0) << "'" << bad << "'";
    EXPECT_EQ(b.local_processes, 1) << "'" << bad << "'";
  }
}

TEST(ThreadBudget, OpenCvIsMadeSingleThreadedOnce) {
  use_single_threaded_opencv();
  EXPECT_EQ(cv::getNumThreads(), 1);
  use_single_threaded_opencv();  // later calls change nothing
  EXPECT_EQ(cv::getNumThreads(), 1);
}

// With OpenCV's TBB backend a cv::setNumThreads call that overlaps another one (or OpenCV work)
// dereferences a terminated tbb::task_arena: "segfault at 118 ... in libtbb.so.12.8". So no
// loader worker or benchmark thread may call it, only the thread that sets the data up.
TEST(ThreadBudget, LoaderAndBenchmarkThreadsNeverReconfigureOpenCv) {
  {
    std::lock_guard<std::mutex> lock(set_num_threads_mutex);
    set_num_threads_callers.clear();
  }
  const auto images = test_images::write_images(test::temp_dir("thread_budget_opencv"), 4);
  DatasetOptions options;
  options.img_size = 64;
  options.augment = true;
  auto dataset = std::make_shared<Dataset>(images, config::Hyp{}, options);
  LoaderOptions loader_options;
  loader_options.batch_size = 2;
  loader_options.workers = 4;
  Loader loader(dataset, loader_options);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    while (loader.next()) {
    }
  }
  LoaderBenchOptions bench;
  bench.workers = 3;
  bench.batch_size = 2;
  bench.batches = 1;
  bench.decode_images = 6;
  bench_loader(images, config::Hyp{}, bench);
  std::lock_guard<std::mutex> lock(set_num_threads_mutex);
  for (const auto& caller : set_num_threads_callers) {
    EXPECT_EQ(caller, std::this_thread::get_id()) << "cv::setNumThreads called from another thread";
  }
  EXPECT_LE(set_num_threads_callers.size(), 1u);  // once per process at most
}

}  // namespace
}  // namespace qyolo::data
