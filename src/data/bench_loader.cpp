#include "qyolo/data/bench_loader.h"

#include <spdlog/fmt/fmt.h>
#include <torch/torch.h>

#include <chrono>
#include <memory>

#include "qyolo/core/error.h"
#include "qyolo/core/parallel_for_each_index.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/dataset.h"
#include "qyolo/data/loader.h"
#include "qyolo/data/thread_budget.h"

namespace qyolo::data {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double decode_rate(const std::vector<LabeledImage>& images, int workers, int count) {
  use_single_threaded_opencv();  // as the loader workers run
  const auto start = Clock::now();
  parallel_for_each_index(count, workers,
                          [&](int64_t i) { read_image(images[i % images.size()].image_path); });
  return count / seconds_since(start);
}

// Images per second of mosaic training batches at `img_size`, and seconds per batch.
std::pair<double, double> mosaic_rate(const std::vector<LabeledImage>& images,
                                      const config::Hyp& hyp, int img_size,
                                      const LoaderBenchOptions& o) {
  DatasetOptions dataset_options;
  dataset_options.img_size = img_size;
  dataset_options.augment = true;
  auto dataset = std::make_shared<Dataset>(images, hyp, dataset_options);
  LoaderOptions loader_options;
  loader_options.batch_size = o.batch_size;
  loader_options.workers = o.workers;
  loader_options.seed = o.seed;
  Loader loader(dataset, loader_options);
  // Timed from the epoch start: workers prefetch ahead of the consumer, so a clock started after
  // a first batch would count batches made before it as free. The decode pass has already put
  // the files in the page cache.
  int64_t epoch = 0;
  const auto start = Clock::now();
  loader.start_epoch(epoch);
  int64_t produced = 0, batches = 0;
  while (batches < o.batches) {
    auto batch = loader.next();
    if (!batch) {
      loader.start_epoch(++epoch);
      continue;
    }
    produced += batch->size();
    ++batches;
  }
  const double elapsed = seconds_since(start);
  return {produced / elapsed, elapsed / batches};
}

}  // namespace

LoaderBenchResult bench_loader(const std::vector<LabeledImage>& images, config::Hyp hyp,
                               const LoaderBenchOptions& options) {
  if (images.empty()) throw UsageError("bench loader: no images to read");
  if (options.batches < 1 || options.batch_size < 1 || options.decode_images < 1) {
    throw UsageError("bench loader: batches, batch size and decode images must be >= 1");
  }
  hyp.mosaic = 1.0;
  LoaderBenchResult result;
  result.images = static_cast<int64_t>(images.size());
  result.workers = options.workers;
  result.batch_size = options.batch_size;
  result.decode_images_per_s = decode_rate(images, options.workers, options.decode_images);
  result.mosaic_640_images_per_s = mosaic_rate(images, hyp, 640, options).first;
  const auto [rate_320, per_batch_320] = mosaic_rate(images, hyp, 320, options);
  result.mosaic_320_images_per_s = rate_320;
  result.seconds_per_batch_320 = per_batch_320;
  result.threads = torch::get_num_threads();
  return result;
}

LoaderBenchResult bench_loader(const std::filesystem::path& data_yaml,
                               const LoaderBenchOptions& options) {
  const DataYaml yaml = load_data_yaml(data_yaml);
  require_dataset(yaml);
  ScanOptions scan;
  scan.nc = yaml.nc;
  LoaderBenchResult result =
      bench_loader(scan_split(yaml, "train", scan).images, config::Hyp{}, options);
  result.data = data_yaml.string();
  return result;
}

nlohmann::json LoaderBenchResult::to_json() const {
  return {{"data", data},
          {"images", images},
          {"workers", workers},
          {"threads", threads},
          {"batch", batch_size},
          {"decode_images_per_s", decode_images_per_s},
          {"mosaic_640_images_per_s", mosaic_640_images_per_s},
          {"mosaic_320_images_per_s", mosaic_320_images_per_s},
          {"seconds_per_batch_320", seconds_per_batch_320},
          {"mosaic_640_vs_decode", mosaic_640_vs_decode()},
          {"mosaic_320_vs_decode", mosaic_320_vs_decode()}};
}

std::string LoaderBenchResult::to_string() const {
  return fmt::format(
      "{}: {} train images, {} worker(s), batch {}, {} intra-op thread(s)\n"
      "  decode only   {:.1f} images/s\n"
      "  mosaic 640    {:.1f} images/s ({:.2f}x decode)\n"
      "  mosaic 320    {:.1f} images/s ({:.2f}x decode, {:.3f} s per batch)\n",
      data, images, workers, batch_size, threads, decode_images_per_s, mosaic_640_images_per_s,
      mosaic_640_vs_decode(), mosaic_320_images_per_s, mosaic_320_vs_decode(),
      seconds_per_batch_320);
}

}  // namespace qyolo::data
