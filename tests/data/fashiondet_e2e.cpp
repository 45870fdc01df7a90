// FashionDet with default options: must finish in under a minute on 2 cores.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "qyolo/data/data_yaml.h"
#include "qyolo/data/fashiondet.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {

TEST(FashionDetE2E, DefaultsFinishInUnderAMinute) {
  FashionDetOptions options;
  options.out = test::temp_dir("fashiondet_defaults");
  const auto start = std::chrono::steady_clock::now();
  const FashionDetSummary summary = generate_fashiondet(options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("FashionDet defaults: {} images, {} instances in {:.1f} s ({} threads)",
               summary.images, summary.instances, seconds, options.threads);
  // The time is a benchmark figure (docs/BENCHMARKS.md), not an assertion: CI machines are shared.
  EXPECT_EQ(summary.images, 4500);

  // Scanning the training split: full verification, then from the label cache.
  const DataYaml data = load_data_yaml(summary.yaml);
  for (const char* pass : {"first scan", "cached scan"}) {
    const auto scan_start = std::chrono::steady_clock::now();
    const ScanResult scan = scan_split(data, "train");
    spdlog::info(
        "FashionDet train {}: {} images in {:.2f} s", pass, scan.images.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count());
    EXPECT_EQ(scan.images.size(), 4000u);
    EXPECT_TRUE(scan.summary.empty()) << scan.summary;
  }
}

}  // namespace
}  // namespace qyolo::data
