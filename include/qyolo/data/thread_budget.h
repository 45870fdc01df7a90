// How many threads each pool of a qyolo process gets: torch's intra-op pool, the loader workers
// and OpenCV. `--threads 0` means every core the process may run on (shared with the other
// processes of a local data-parallel job), loader workers never outnumber those cores, and
// OpenCV stays single-threaded because the loader workers already run its calls in parallel.
#pragma once

namespace qyolo::data {

// Cores this process may run on (its CPU affinity mask, e.g. under taskset or a container's
// cpuset), else std::thread::hardware_concurrency(); at least 1.
int usable_cores();

// What the automatic thread counts depend on.
struct CpuBudget {
  int cores = 1;            // usable_cores()
  int omp_num_threads = 0;  // OMP_NUM_THREADS when it is a positive number, else 0
  int local_processes = 1;  // LOCAL_WORLD_SIZE (torchrun, scripts/launch_local.sh), else 1

  // Cores per process of this machine, at least 1.
  int cores_per_process() const;
  // The budget of this process, from its affinity mask and environment.
  static CpuBudget current();
};

// Intra-op threads for a `--threads` value: `requested` when positive, else OMP_NUM_THREADS when
// set (as torch itself honours it), else the cores per process.
int intra_op_threads(int requested, const CpuBudget& budget = CpuBudget::current());

// Loader worker threads for a configured count: at most the cores per process, as ultralytics
// caps its DataLoader workers at the CPU count. 0 stays 0 (batches built on the calling thread).
int loader_workers(int configured, const CpuBudget& budget = CpuBudget::current());

// Sets OpenCV's thread count to 1, once per process. OpenCV keeps it in process-wide state: with
// its TBB backend cv::setNumThreads terminates and re-initialises one global tbb::task_arena
// without a lock, so calling it while another thread calls it or runs OpenCV crashes inside
// libtbb. It also creates OpenCV's lazily made MatExpr singleton, which is not safe to create
// from two threads at once. Call this before starting threads that use OpenCV; never call
// cv::setNumThreads elsewhere.
void use_single_threaded_opencv();

}  // namespace qyolo::data
