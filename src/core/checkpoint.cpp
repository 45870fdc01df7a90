#include "qyolo/core/checkpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <torch/serialize.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "qyolo/core/build_info.h"
#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"

namespace qyolo {
namespace {

// CRC-32 of the payload (zlib's, as gzip computes it).
uint32_t payload_crc(const void* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(0, static_cast<const Bytef*>(data), size));
}

constexpr char kMagic[8] = {'Q', 'Y', 'O', 'L', 'O', 'C', 'K', 'P'};
constexpr size_t kHeaderSize = 8 + 4 + 8 + 4;

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

c10::impl::GenericDict tensor_dict(const TensorMap& m) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [k, v] : m) d.insert(k, v.detach().cpu().contiguous());
  return d;
}

TensorMap to_tensor_map(const c10::IValue& v) {
  TensorMap m;
  for (const auto& kv : v.toGenericDict()) {
    if (kv.value().isTensor()) m[kv.key().toStringRef()] = kv.value().toTensor();
  }
  return m;
}

// Binary blobs travel as uint8 tensors: pickled strings are meant to be text.
torch::Tensor bytes_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  // An empty tensor has no storage (data_ptr() is null), and memcpy must not get null.
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_bytes(const torch::Tensor& t) {
  if (t.numel() == 0) return {};
  return std::string(static_cast<const char*>(t.data_ptr()), t.numel());
}

// write_file_atomic's temp file for `name` in the same folder: ".<name>.tmp<pid>".
std::string atomic_temp_name(const std::string& name, pid_t pid) {
  return "." + name + ".tmp" + std::to_string(pid);
}

// The writer's pid when `file_name` is one of write_file_atomic's temp files.
std::optional<pid_t> atomic_temp_owner(const std::string& file_name) {
  const auto tmp = file_name.rfind(".tmp");
  if (file_name.size() < 2 || file_name[0] != '.' || tmp == std::string::npos || tmp < 2)
    return std::nullopt;
  const std::string digits = file_name.substr(tmp + 4);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<pid_t>(std::stol(digits));
}

// A temp file of a live process (another qyolo writing into the same folder) is not stale.
bool process_is_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

const c10::IValue* find(const c10::impl::GenericDict& d, const std::string& key) {
  auto it = d.find(key);
  return it == d.end() ? nullptr : &it->value();
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& bytes) {
  if (std::filesystem::is_directory(path)) {
    throw UsageError("cannot write '" + path.string() +
                     "': it is a folder, expected a file name (e.g. one inside it)");
  }
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::filesystem::create_directories(dir);
  const auto tmp = dir / atomic_temp_name(path.filename().string(), getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error("cannot write '" + path.string() + "': " + std::strerror(errno));
  std::error_code ignored;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      std::filesystem::remove(tmp, ignored);
      throw Error("cannot write '" + path.string() + "': " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    std::filesystem::remove(tmp, ignored);
    throw Error("cannot flush '" + path.string() + "' to disk: " + err);
  }
  std::error_code renamed;
  std::filesystem::rename(tmp, path, renamed);
  if (renamed) {
    std::filesystem::remove(tmp, ignored);
    throw Error("cannot write '" + path.string() + "': " + renamed.message());
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

int remove_stale_temp_files(const std::filesystem::path& dir) {
  std::error_code error;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const auto pid = atomic_temp_owner(entry.path().filename().string());
    if (!pid || *pid == getpid() || process_is_alive(*pid) || !entry.is_regular_file(error))
      continue;
    if (std::filesystem::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

void save_checkpoint(const Checkpoint& ckpt, const std::filesystem::path& path) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("kind", ckpt.kind);
  d.insert("qyolo_version", std::string(QYOLO_VERSION));
  d.insert("model_yaml", ckpt.model_yaml);
  d.insert("config_yaml", ckpt.config_yaml);
  d.insert("quant_policy", ckpt.quant_policy);
  d.insert("epoch", ckpt.epoch);
  d.insert("model", tensor_dict(ckpt.model));
  d.insert("ema", tensor_dict(ckpt.ema));
  d.insert("ema_updates", ckpt.ema_updates);
  d.insert("optimizer", bytes_tensor(ckpt.optimizer));
  d.insert("extra", tensor_dict(ckpt.extra));
  c10::impl::GenericDict metrics(c10::StringType::get(), c10::FloatType::get());
  for (const auto& [k, v] : ckpt.metrics) metrics.insert(k, v);
  d.insert("metrics", metrics);
  d.insert("meta_json", ckpt.meta_json);

  const std::vector<char> payload = torch::pickle_save(c10::IValue(d));
  std::string bytes;
  bytes.reserve(kHeaderSize + payload.size());
  bytes.append(kMagic, sizeof(kMagic));
  put<uint32_t>(bytes, kCheckpointFormatVersion);
  put<uint64_t>(bytes, payload.size());
  put<uint32_t>(bytes, payload_crc(payload.data(), payload.size()));
  bytes.append(payload.data(), payload.size());
  write_file_atomic(path, bytes);
}

bool is_checkpoint_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[sizeof(kMagic)] = {};
  f.read(magic, sizeof(magic));
  return f.gcount() == sizeof(magic) && std::memcmp(magic, kMagic, sizeof(kMagic)) == 0;
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  const std::string bytes = read_file(path, "the checkpoint");
  const std::string where = "'" + path.string() + "'";
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw Error(where +
                " is not a qyolo checkpoint (no QYOLOCKP header). Weights converted "
                "from PyTorch load with --weights; checkpoints come from qyolo train/correct.");
  }
  const auto version = get<uint32_t>(bytes.data() + 8);
  if (version > kCheckpointFormatVersion) {
    throw Error(where + " has checkpoint format " + std::to_string(version) +
                ", newer than this qyolo reads (" + std::to_string(kCheckpointFormatVersion) +
                "): update qyolo");
  }
  const auto size = get<uint64_t>(bytes.data() + 12);
  const auto crc = get<uint32_t>(bytes.data() + 20);
  if (bytes.size() - kHeaderSize != size) {
    throw Error(where + " is truncated or damaged: header promises " + std::to_string(size) +
                " bytes of data, the file has " + std::to_string(bytes.size() - kHeaderSize));
  }
  if (payload_crc(bytes.data() + kHeaderSize, size) != crc) {
    throw Error(where + " is damaged: checksum mismatch");
  }
  const std::vector<char> payload(bytes.begin() + kHeaderSize, bytes.end());
  const auto d = torch::pickle_load(payload).toGenericDict();
  Checkpoint c;
  c.kind = d.at("kind").toStringRef();
  c.qyolo_version = d.at("qyolo_version").toStringRef();
  c.model_yaml = d.at("model_yaml").toStringRef();
  c.config_yaml = d.at("config_yaml").toStringRef();
  c.quant_policy = d.at("quant_policy").toStringRef();
  c.epoch = d.at("epoch").toInt();
  c.model = to_tensor_map(d.at("model"));
  c.ema = to_tensor_map(d.at("ema"));
  c.ema_updates = d.at("ema_updates").toDouble();
  c.optimizer = tensor_bytes(d.at("optimizer").toTensor().contiguous());
  c.extra = to_tensor_map(d.at("extra"));
  for (const auto& kv : d.at("metrics").toGenericDict()) {
    c.metrics[kv.key().toStringRef()] = kv.value().toDouble();
  }
  c.meta_json = d.at("meta_json").toStringRef();
  return c;
}

c10::IValue load_pickle_file(const std::filesystem::path& path) {
  const std::string bytes = read_file(path, "the weights file");
  try {
    return torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    throw Error("cannot read '" + path.string() +
                "' as a torch pickle (torch.save of a dict of "
                "tensors, e.g. from tools/convert_weights.py): " +
                e.what_without_backtrace());
  }
}

TensorMap load_weights_file(const std::filesystem::path& path) {
  if (is_checkpoint_file(path)) return load_checkpoint(path).weights();
  const c10::IValue v = load_pickle_file(path);
  if (!v.isGenericDict()) {
    throw Error("'" + path.string() + "' holds a " + v.tagKind() +
                ", expected a dict of tensors (see tools/convert_weights.py)");
  }
  const auto d = v.toGenericDict();
  for (const char* key : {"state_dict", "model"}) {
    if (const auto* inner = find(d, key); inner && inner->isGenericDict()) {
      return to_tensor_map(*inner);
    }
  }
  TensorMap m = to_tensor_map(v);
  if (m.empty()) throw Error("'" + path.string() + "' contains no tensors");
  return m;
}

std::string optimizer_state_bytes(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return os.str();
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream is(bytes);
  archive.load_from(is);
  optimizer.load(archive);
}

}  // namespace qyolo
