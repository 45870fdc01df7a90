#include "qyolo/distributed/context.h"

// Debian's and the official LibTorch builds ship c10d with Gloo; its header is gated on this macro,
// which LibTorch's CMake config does not export.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif

#include <spdlog/spdlog.h>
#include <torch/csrc/utils/tensor_flatten.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>

#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <sstream>
#include <thread>

#include "heartbeat.h"
#include "qyolo/core/error.h"
#include "qyolo/core/torch_compat.h"
#include "qyolo/distributed/placement.h"

namespace qyolo::distributed {
namespace {

using std::chrono::milliseconds;

// The collectives qyolo needs, over whichever c10d class implements them: LibTorch 1.x's
// ProcessGroupGloo/NCCL derive from ProcessGroup, 2.x's from Backend; both keep these members.
class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual c10::intrusive_ptr<c10d::Work> all_reduce_sum(std::vector<at::Tensor>& tensors) = 0;
  virtual c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors, int root) = 0;
  virtual c10::intrusive_ptr<c10d::Work> all_gather(std::vector<std::vector<at::Tensor>>& outputs,
                                                    std::vector<at::Tensor>& inputs) = 0;
  virtual c10::intrusive_ptr<c10d::Work> barrier() = 0;
};

template <class Group>
class GroupCollectives final : public Collectives {
 public:
  explicit GroupCollectives(c10::intrusive_ptr<Group> group) : group_(std::move(group)) {}
  c10::intrusive_ptr<c10d::Work> all_reduce_sum(std::vector<at::Tensor>& tensors) override {
    return group_->allreduce(tensors, c10d::AllreduceOptions());
  }
  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors, int root) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    return group_->broadcast(tensors, options);
  }
  c10::intrusive_ptr<c10d::Work> all_gather(std::vector<std::vector<at::Tensor>>& outputs,
                                            std::vector<at::Tensor>& inputs) override {
    return group_->allgather(outputs, inputs, c10d::AllgatherOptions());
  }
  c10::intrusive_ptr<c10d::Work> barrier() override {
    return group_->barrier(c10d::BarrierOptions());
  }

 private:
  c10::intrusive_ptr<Group> group_;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  // Same choice as torch.distributed: GLOO_SOCKET_IFNAME wins; a loopback master means a
  // single-machine run, which must not depend on the host name resolving.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// c10::Error's what() carries a C++ backtrace that only buries the reason for users.
std::string reason(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return c10_error->what_without_backtrace();
  }
  return e.what();
}

}  // namespace

class Context::Impl {
 public:
  Impl(const LaunchEnv& env, const ContextOptions& options, torch::Device device)
      : env_(env), options_(options), device_(device) {}

  ~Impl() { shutdown(); }

  void connect() {
    backend_ = choose_backend(options_.backend(), device_, Accelerators::of_this_process());
    const std::string where = env_.master_addr + ":" + std::to_string(env_.master_port);
    try {
      store_ = make_store(env_.rank == 0 && !env_.launcher_hosts_store);
      heartbeat_ = std::make_unique<Heartbeat>(make_store(false), env_.rank,
                                               options_.heartbeat_interval(), started_);
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>("pg", store_);
      if (backend_ == "gloo") {
        auto gloo_options = c10d::ProcessGroupGloo::Options::create(options_.timeout());
        gloo_options->devices.push_back(gloo_device(env_.master_addr));
        collectives_ = std::make_unique<GroupCollectives<c10d::ProcessGroupGloo>>(
            c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env_.rank, env_.world_size,
                                                        gloo_options));
      } else {
#ifdef USE_C10D_NCCL
        c10::cuda::set_device(device_.index());
        auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
        nccl_options->timeout = options_.timeout();
        collectives_ = std::make_unique<GroupCollectives<c10d::ProcessGroupNCCL>>(
            c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env_.rank, env_.world_size,
                                                        nccl_options));
#endif
      }
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size) +
                  " could not join the run at " + where + " (" + env_.launcher +
                  " launch) within " + std::to_string(options_.timeout().count()) +
                  " ms: " + absent_ranks() + " [" + reason(e) +
                  "]. Check that every rank started, that MASTER_ADDR/MASTER_PORT agree and that "
                  "the port is free and reachable.");
    }
    spdlog::info("rank {}/{} joined the run at {} ({} backend, device {})", env_.rank,
                 env_.world_size, where, backend_, device_.str());
  }

  int64_t next_sequence() { return ++started_; }

  // Waits for `work`; turns any failure into an Error that names the rank to blame.
  void wait(c10d::Work& work, int64_t sequence, const std::string& operation) {
    try {
      work.wait();
    } catch (const std::exception& e) {
      failed_ = true;
      throw Error("distributed " + operation + " #" + std::to_string(sequence) +
                  " failed on rank " + std::to_string(env_.rank) + ": " + blame(sequence) + " [" +
                  reason(e) + "]");
    }
  }

  Collectives& collectives() { return *collectives_; }

  void shutdown() {
    if (!collectives_ || closed_) return;
    closed_ = true;
    // Destroyed while an exception unwinds: this rank is failing, its peers will ask why.
    const bool failing = failed_ || std::uncaught_exceptions() > 0;
    try {
      const std::string how = failing ? "failed" : "finished";
      store_->set(left_key(env_.rank), std::vector<uint8_t>(how.begin(), how.end()));
      if (env_.rank == 0 && !failing) wait_for_peers_to_leave();
    } catch (const std::exception& e) {
      spdlog::warn("rank {}: leaving the run: {}", env_.rank, reason(e));
    }
    if (env_.rank == 0 && failing) {
      // Peers are diagnosing the same failure through the store this process hosts.
      std::this_thread::sleep_for(3 * options_.heartbeat_interval());
    }
    heartbeat_->stop();
    collectives_.reset();
    heartbeat_.reset();
    store_.reset();
  }

  LaunchEnv env_;
  ContextOptions options_;
  torch::Device device_;
  std::string backend_ = "none";

 private:
  static std::string left_key(int rank) { return "left/" + std::to_string(rank); }

  c10::intrusive_ptr<c10d::Store> make_store(bool is_server) {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env_.master_port);
    store_options.isServer = is_server;
    store_options.numWorkers = env_.world_size;
    store_options.waitWorkers = false;
    store_options.timeout = options_.timeout();
    compat::use_classic_tcpstore_server(store_options);
    auto store = c10::make_intrusive<c10d::TCPStore>(env_.master_addr, store_options);
    return c10::make_intrusive<c10d::PrefixStore>(
        "qyolo/attempt_" + std::to_string(env_.restart_count), store);
  }

  // Who is missing at the rendezvous: every rank publishes its first heartbeat on arrival.
  std::string absent_ranks() {
    if (!store_) return "the rendezvous store did not answer";
    std::vector<std::string> absent;
    try {
      store_->setTimeout(milliseconds(1000));
      for (int r = 0; r < env_.world_size; ++r) {
        if (!store_->check({Heartbeat::key(r)})) absent.push_back(std::to_string(r));
      }
    } catch (const std::exception&) {
      return "the rendezvous store stopped answering";
    }
    if (absent.empty()) return "every rank arrived, but the process group did not connect";
    std::string list;
    for (const auto& r : absent) list += (list.empty() ? "" : ", ") + r;
    return "rank " + list + " never arrived";
  }

  // Which peer made collective `sequence` fail: one whose heartbeat stopped (dead or frozen
  // process), or one that is alive but has not started this collective (stuck elsewhere).
  std::string blame(int64_t sequence) {
    const std::string verdict_key = "lost";
    const auto interval = options_.heartbeat_interval();
    const std::string store_address = env_.master_addr + ":" + std::to_string(env_.master_port);
    const std::string store_gone =
        env_.launcher_hosts_store
            ? "lost the rendezvous store torchrun serves at " + store_address +
                  ": the first node or its launcher is gone"
            : "lost rank 0: the rendezvous store it hosts at " + store_address +
                  " no longer answers, so rank 0 died or is frozen";
    std::vector<PeerBeat> before, after;
    try {
      store_->setTimeout(
          std::min<milliseconds>(options_.timeout(), 4 * interval + milliseconds(1000)));
      if (store_->check({verdict_key})) {
        const auto bytes = store_->get(verdict_key);
        return std::string(bytes.begin(), bytes.end());
      }
      for (int r = 0; r < env_.world_size; ++r) {
        if (r == env_.rank || !store_->check({left_key(r)})) continue;
        const auto bytes = store_->get(left_key(r));
        const bool failed = std::string(bytes.begin(), bytes.end()) == "failed";
        return "lost rank " + std::to_string(r) + ": it left the run (" +
               (failed ? "it failed; its log says why)" : "it finished early)");
      }
      before = Heartbeat::read_all(*store_, env_.world_size);
      std::this_thread::sleep_for(2 * interval + milliseconds(200));
      after = Heartbeat::read_all(*store_, env_.world_size);
    } catch (const std::exception&) {
      return store_gone;
    }
    std::vector<int> silent, behind;
    for (int r = 0; r < env_.world_size; ++r) {
      if (r == env_.rank) continue;
      if (after[r].beats == before[r].beats) {
        silent.push_back(r);
      } else if (after[r].collectives < sequence) {
        behind.push_back(r);
      }
    }
    const auto list = [](const std::vector<int>& ranks) {
      std::ostringstream out;
      for (size_t i = 0; i < ranks.size(); ++i) out << (i ? ", " : "") << ranks[i];
      return out.str();
    };
    std::string verdict;
    if (!silent.empty()) {
      verdict = "lost rank " + list(silent) + ": its heartbeat stopped (process died or is frozen)";
    } else if (!behind.empty()) {
      verdict = "lost rank " + list(behind) + ": it is alive but did not reach collective #" +
                std::to_string(sequence) + " within the " +
                std::to_string(options_.timeout().count()) + " ms timeout (last at #" +
                std::to_string(after[behind.front()].collectives) + ")";
    } else {
      return "every peer is alive and reached this collective; the transport failed";
    }
    try {
      store_->set(verdict_key, std::vector<uint8_t>(verdict.begin(), verdict.end()));
    } catch (const std::exception&) {
      // Best effort: the verdict only saves other ranks the same diagnosis.
    }
    return verdict;
  }

  // Rank 0 hosts the store: it stays until every peer has said goodbye or stopped beating.
  void wait_for_peers_to_leave() {
    const auto interval = options_.heartbeat_interval();
    std::vector<PeerBeat> last = Heartbeat::read_all(*store_, env_.world_size);
    std::vector<std::chrono::steady_clock::time_point> last_change(
        env_.world_size, std::chrono::steady_clock::now());
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout();
    while (std::chrono::steady_clock::now() < deadline) {
      bool everyone_left = true;
      const auto beats = Heartbeat::read_all(*store_, env_.world_size);
      const auto now = std::chrono::steady_clock::now();
      for (int r = 1; r < env_.world_size; ++r) {
        if (store_->check({left_key(r)})) continue;
        if (beats[r].beats != last[r].beats) last_change[r] = now;
        if (now - last_change[r] < 4 * interval) everyone_left = false;
      }
      last = beats;
      if (everyone_left) return;
      std::this_thread::sleep_for(std::min<milliseconds>(interval, milliseconds(50)));
    }
  }

  c10::intrusive_ptr<c10d::Store> store_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::unique_ptr<Collectives> collectives_;
  std::atomic<int64_t> started_{0};
  bool failed_ = false;
  bool closed_ = false;
};

class PendingCollective::Impl {
 public:
  Impl(Context::Impl& context, c10::intrusive_ptr<c10d::Work> work, int64_t sequence)
      : context_(context), work_(std::move(work)), sequence_(sequence) {}
  void wait() { context_.wait(*work_, sequence_, "all_reduce"); }

 private:
  Context::Impl& context_;
  c10::intrusive_ptr<c10d::Work> work_;
  int64_t sequence_;
};

PendingCollective::PendingCollective() = default;
PendingCollective::PendingCollective(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;
PendingCollective::~PendingCollective() = default;

void PendingCollective::wait() {
  if (!impl_) return;
  auto impl = std::move(impl_);
  impl->wait();
}

namespace {

// Tensors grouped by dtype and device, in first-seen order: each group is reduced as one buffer.
std::vector<std::vector<torch::Tensor>> group_by_type(const std::vector<torch::Tensor>& tensors) {
  std::vector<std::vector<torch::Tensor>> groups;
  std::map<std::pair<int, std::string>, size_t> index;
  for (const auto& t : tensors) {
    const auto key = std::make_pair(static_cast<int>(t.scalar_type()), t.device().str());
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(t);
  }
  return groups;
}

// Runs `collective` in place on one flat buffer per dtype/device group of `tensors` (the tensor
// itself when it is alone and contiguous) and copies the result back into the group's tensors.
// Gloo has no bool type: flags (e.g. a quantizer's "initialized") travel as their bytes.
template <class Collective>
void for_each_flat_group(const std::vector<torch::Tensor>& tensors, Collective collective) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> sendable;
  for (const auto& t : tensors)
    sendable.push_back(t.scalar_type() == torch::kBool ? t.view(torch::kUInt8) : t);
  for (const auto& group : group_by_type(sendable)) {
    const bool single = group.size() == 1 && group.front().is_contiguous();
    std::vector<at::Tensor> flat{single ? group.front()
                                        : torch::utils::flatten_dense_tensors(group)};
    collective(flat);
    if (single) continue;
    const auto result = torch::utils::unflatten_dense_tensors(flat.front(), group);
    for (size_t i = 0; i < group.size(); ++i) group[i].copy_(result[i]);
  }
}

}  // namespace

Context::Context(torch::Device device)
    : impl_(std::make_unique<Impl>(LaunchEnv{}, ContextOptions{}, device)) {}

Context::Context(const LaunchEnv& env, const ContextOptions& options)
    : impl_(std::make_unique<Impl>(env, options,
                                   local_device(env.local_rank, Accelerators::of_this_process()))) {
  if (env.world_size > 1) impl_->connect();
}

Context Context::from_env(const ContextOptions& options) {
  return Context(launch_env_from_process(), options);
}

Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;
Context::~Context() = default;

int Context::rank() const { return impl_->env_.rank; }
int Context::world_size() const { return impl_->env_.world_size; }
int Context::local_rank() const { return impl_->env_.local_rank; }
torch::Device Context::device() const { return impl_->device_; }
std::string Context::backend() const { return impl_->backend_; }

void Context::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (!is_distributed() || tensors.empty()) return;
  for_each_flat_group(tensors, [&](std::vector<at::Tensor>& flat) {
    const int64_t sequence = impl_->next_sequence();
    impl_->wait(*impl_->collectives().all_reduce_sum(flat), sequence, "all_reduce");
  });
}

PendingCollective Context::all_reduce_sum_async(const torch::Tensor& flat) {
  if (!is_distributed()) return PendingCollective();
  TORCH_CHECK(flat.is_contiguous(), "all_reduce_sum_async needs a contiguous tensor");
  std::vector<at::Tensor> tensors{flat};
  const int64_t sequence = impl_->next_sequence();
  auto work = impl_->collectives().all_reduce_sum(tensors);
  return PendingCollective(std::make_unique<PendingCollective::Impl>(*impl_, work, sequence));
}

torch::Tensor Context::all_reduce_mean(const torch::Tensor& value) {
  auto result = value.detach().is_floating_point() ? value.detach().clone()
                                                   : value.detach().to(torch::kDouble);
  all_reduce_sum({result});
  return is_distributed() ? result.div_(world_size()) : result;
}

double Context::all_reduce_mean(double value) {
  const auto device = backend() == "nccl" ? this->device() : torch::Device(torch::kCPU);
  return all_reduce_mean(torch::tensor(value, torch::TensorOptions(torch::kDouble).device(device)))
      .item<double>();
}

void Context::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (!is_distributed() || tensors.empty()) return;
  TORCH_CHECK(root >= 0 && root < world_size(), "broadcast root ", root, " is not a rank");
  for_each_flat_group(tensors, [&](std::vector<at::Tensor>& flat) {
    const int64_t sequence = impl_->next_sequence();
    impl_->wait(*impl_->collectives().broadcast(flat, root), sequence, "broadcast");
  });
}

std::vector<torch::Tensor> Context::all_gather(const torch::Tensor& local) {
  TORCH_CHECK(local.dim() >= 1, "all_gather needs a tensor with a first (row) dimension");
  if (!is_distributed()) return {local.detach().clone()};
  torch::NoGradGuard no_grad;
  // Ranks may hold different numbers of rows: exchange the counts, pad to the largest, trim.
  std::vector<at::Tensor> count{
      torch::tensor({local.size(0)}, torch::TensorOptions(torch::kLong).device(local.device()))};
  std::vector<std::vector<at::Tensor>> counts(1);
  for (int r = 0; r < world_size(); ++r) counts[0].push_back(torch::empty_like(count[0]));
  const int64_t count_sequence = impl_->next_sequence();
  impl_->wait(*impl_->collectives().all_gather(counts, count), count_sequence, "all_gather");

  int64_t rows = 0;
  for (const auto& c : counts[0]) rows = std::max(rows, c.item<int64_t>());
  auto shape = local.sizes().vec();
  shape[0] = rows;
  std::vector<at::Tensor> padded{torch::zeros(shape, local.options())};
  padded[0].narrow(0, 0, local.size(0)).copy_(local);
  std::vector<std::vector<at::Tensor>> gathered(1);
  for (int r = 0; r < world_size(); ++r) gathered[0].push_back(torch::empty_like(padded[0]));
  const int64_t sequence = impl_->next_sequence();
  impl_->wait(*impl_->collectives().all_gather(gathered, padded), sequence, "all_gather");

  std::vector<torch::Tensor> result;
  for (int r = 0; r < world_size(); ++r) {
    result.push_back(gathered[0][r].narrow(0, 0, counts[0][r].item<int64_t>()));
  }
  return result;
}

void Context::barrier() {
  if (!is_distributed()) return;
  const int64_t sequence = impl_->next_sequence();
  impl_->wait(*impl_->collectives().barrier(), sequence, "barrier");
}

void Context::shutdown() {
  if (impl_) impl_->shutdown();
}

void main_first(Context& context, const std::function<void()>& work) {
  if (!context.is_main()) context.barrier();
  work();
  if (context.is_main()) context.barrier();
}

void broadcast_module(torch::nn::Module& module, Context& context) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  context.broadcast(tensors, 0);
}

}  // namespace qyolo::distributed
