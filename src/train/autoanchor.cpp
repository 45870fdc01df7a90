#include "qyolo/train/autoanchor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "qyolo/core/progress.h"
#include "qyolo/data/dataset.h"
#include "qyolo/distributed/context.h"
#include "qyolo/nn/detect.h"
#include "qyolo/train/kmeans.h"

namespace qyolo::train {
namespace {

constexpr const char* kPrefix = "AutoAnchor: ";
constexpr double kRecallToKeep = 0.98;  // check_anchors keeps anchors of a higher BPR

// (n,k) ratio metric of every label-anchor pair.
torch::Tensor ratio_metric(const torch::Tensor& wh, const torch::Tensor& anchors) {
  const auto r = wh.unsqueeze(1) / anchors.to(torch::kFloat).unsqueeze(0);
  return std::get<0>(torch::min(r, 1 / r).min(2));
}

// kmean_anchors' fitness: the mean best ratio, labels that fit no anchor counting 0.
double fitness(const torch::Tensor& wh, const torch::Tensor& anchors, double thr) {
  const auto best = std::get<0>(ratio_metric(wh, anchors).max(1));
  return (best * (best > thr).to(torch::kFloat)).mean().item<double>();
}

torch::Tensor sorted_by_area(const torch::Tensor& anchors) {
  const auto order = std::get<1>(torch::sort(anchors.prod(1), /*stable=*/true, 0, false));
  return anchors.index_select(0, order);
}

std::mt19937_64 make_rng(uint64_t seed, uint64_t stream) {
  std::seed_seq seq{seed, stream};
  return std::mt19937_64(seq);
}

// k-means centroids of the sizes divided by their standard deviation, scaled back; sorted
// random sizes up to img_size when there are fewer sizes than anchors, they do not vary or
// k-means leaves a cluster empty (as kmean_anchors).
torch::Tensor initial_anchors(const torch::Tensor& wh, int64_t n, int64_t img_size,
                              std::mt19937_64& rng) {
  if (wh.size(0) >= n) {
    const auto sigma = wh.std(0, /*unbiased=*/false);
    if ((sigma > 0).all().item<bool>()) {
      const auto result = kmeans(wh / sigma, KMeansOptions(n).restarts(30).seed(rng()));
      if (result.centroids.size(0) == n) return (result.centroids * sigma).to(torch::kDouble);
    }
  }
  spdlog::warn("{}switching strategies from kmeans to random init", kPrefix);
  std::vector<double> sizes(static_cast<size_t>(2 * n));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (auto& s : sizes) s = uniform(rng) * static_cast<double>(img_size);
  std::sort(sizes.begin(), sizes.end());
  return torch::tensor(sizes, torch::kDouble).view({n, 2});
}

// One generation's factors per anchor size: with probability 0.9 a normal step of sigma 0.1
// times a random scale shared by the generation, clipped to [0.3, 3]; never all 1.
torch::Tensor mutation(int64_t n, std::mt19937_64& rng) {
  constexpr double kProbability = 0.9, kSigma = 0.1;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> factors(static_cast<size_t>(2 * n), 1.0);
  while (std::all_of(factors.begin(), factors.end(), [](double f) { return f == 1.0; })) {
    std::vector<bool> mutated(factors.size());
    for (size_t i = 0; i < factors.size(); ++i) mutated[i] = uniform(rng) < kProbability;
    const double scale = uniform(rng);
    for (size_t i = 0; i < factors.size(); ++i) {
      const double step = scale * normal(rng) * kSigma;  // drawn for every size, as numpy does
      factors[i] = mutated[i] ? std::clamp(step + 1.0, 0.3, 3.0) : 1.0;
    }
  }
  return torch::tensor(factors, torch::kDouble).view({n, 2});
}

// kmean_anchors' print_results: the fit of `anchors` to all label sizes, and the anchors.
void log_anchors(const torch::Tensor& wh, const torch::Tensor& anchors, double thr,
                 int64_t img_size) {
  const auto x = ratio_metric(wh, anchors);
  const auto best = std::get<0>(x.max(1));
  const int64_t n = anchors.size(0);
  spdlog::info("{}thr={:.2f}: {:.4f} best possible recall, {:.2f} anchors past thr", kPrefix, thr,
               (best > thr).to(torch::kFloat).mean().item<double>(),
               (x > thr).to(torch::kFloat).mean().item<double>() * static_cast<double>(n));
  std::string sizes;
  const auto rounded = anchors.to(torch::kDouble).round().to(torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    sizes += fmt::format("{}{},{}", i == 0 ? "" : ", ", rounded[i][0].item<int64_t>(),
                         rounded[i][1].item<int64_t>());
  }
  spdlog::info("{}n={}, img_size={}, metric_all={:.3f}/{:.3f}-mean/best, past_thr={:.3f}-mean: {}",
               kPrefix, n, img_size, x.mean().item<double>(), best.mean().item<double>(),
               x.index({x > thr}).mean().item<double>(), sizes);
}

}  // namespace

AnchorFit anchor_fit(const torch::Tensor& wh, const torch::Tensor& anchors, double anchor_t) {
  TORCH_CHECK(wh.dim() == 2 && wh.size(1) == 2 && anchors.dim() == 2 && anchors.size(1) == 2,
              "anchor_fit: label sizes (n,2) and anchors (k,2) expected, got ", wh.sizes(), " and ",
              anchors.sizes());
  TORCH_CHECK(wh.size(0) > 0, "anchor_fit: no label sizes");
  const auto above = ratio_metric(wh.to(torch::kFloat), anchors) > 1 / anchor_t;
  AnchorFit fit;
  fit.bpr = above.any(1).to(torch::kFloat).mean().item<double>();
  fit.aat = above.to(torch::kFloat).sum(1).mean().item<double>();
  return fit;
}

torch::Tensor label_wh(const data::Dataset& dataset, int64_t img_size,
                       const std::vector<double>& image_scales) {
  TORCH_CHECK(image_scales.empty() || static_cast<int64_t>(image_scales.size()) == dataset.size(),
              "label_wh: ", image_scales.size(), " image scales for ", dataset.size(), " images");
  std::vector<float> sizes;
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const auto& image = dataset.image(i);
    TORCH_CHECK(image.width > 0 && image.height > 0, image.image_path, ": image size not known");
    const double gain = static_cast<double>(img_size) / std::max(image.width, image.height) *
                        (image_scales.empty() ? 1.0 : image_scales[static_cast<size_t>(i)]);
    for (const auto& box : image.labels.boxes) {
      sizes.push_back(static_cast<float>(box[2] * image.width * gain));
      sizes.push_back(static_cast<float>(box[3] * image.height * gain));
    }
  }
  return torch::tensor(sizes, torch::kFloat).view({-1, 2});
}

torch::Tensor kmean_anchors(const torch::Tensor& wh, int64_t n, const AutoAnchorOptions& options) {
  TORCH_CHECK(n > 0, "kmean_anchors: the anchor count must be positive");
  TORCH_CHECK(wh.dim() == 2 && wh.size(1) == 2, "kmean_anchors: label sizes (n,2) expected");
  torch::NoGradGuard no_grad;
  const double thr = 1 / options.anchor_t();
  const auto all = wh.to(torch::kFloat);
  if (const auto small = (all < 3.0).any(1).sum().item<int64_t>(); small > 0) {
    spdlog::warn("{}Extremely small objects found: {} of {} labels are <3 pixels in size", kPrefix,
                 small, all.size(0));
  }
  const auto kept = all.index({(all >= 2.0).any(1)});
  spdlog::info("{}Running kmeans for {} anchors on {} points...", kPrefix, n, kept.size(0));
  auto rng = make_rng(options.seed(), 0x6b6d65616e5f6761);
  auto anchors = sorted_by_area(initial_anchors(kept, n, options.img_size(), rng));

  double best = fitness(kept, anchors, thr);
  ProgressBar bar(options.generations(), std::string(kPrefix) + "evolving anchors");
  for (int64_t g = 0; g < options.generations(); ++g) {
    const auto candidate = (anchors * mutation(n, rng)).clamp_min(2.0);
    if (const double f = fitness(kept, candidate, thr); f > best) {
      best = f;
      anchors = candidate;
      bar.set_postfix(fmt::format("fitness {:.4f}", best));
    }
    bar.update();
  }
  bar.close();
  anchors = sorted_by_area(anchors).to(torch::kFloat);
  log_anchors(all, anchors, thr, options.img_size());
  return anchors;
}

AnchorCheck check_anchors(nn::DetectImpl& head, const data::Dataset& dataset,
                          const AutoAnchorOptions& options) {
  torch::NoGradGuard no_grad;
  auto rng = make_rng(options.seed(), 0x6175746f616e6368);
  std::uniform_real_distribution<double> augment(0.9, 1.1);
  std::vector<double> scales(static_cast<size_t>(dataset.size()));
  for (auto& s : scales) s = augment(rng);
  const auto wh = label_wh(dataset, options.img_size(), scales);
  AnchorCheck check;
  check.labels = wh.size(0);
  if (check.labels == 0) {
    spdlog::warn("{}the training set has no labels; anchors left as they are", kPrefix);
    return check;
  }
  const auto pixels = head.anchors().detach().cpu() * head.stride().view({-1, 1, 1});
  check.fit = anchor_fit(wh, pixels.view({-1, 2}), options.anchor_t());
  const auto summary = fmt::format("{}{:.2f} anchors/target, {:.3f} Best Possible Recall (BPR). ",
                                   kPrefix, check.fit.aat, check.fit.bpr);
  if (check.fit.bpr > kRecallToKeep) {
    spdlog::info("{}Current anchors are a good fit to dataset", summary);
    return check;
  }
  spdlog::info("{}Anchors are a poor fit to dataset, attempting to improve...", summary);
  const auto evolved = kmean_anchors(label_wh(dataset, options.img_size()), pixels.numel() / 2,
                                     AutoAnchorOptions(options).seed(rng()));
  check.evolved = anchor_fit(wh, evolved, options.anchor_t());
  check.replaced = check.evolved->bpr > check.fit.bpr;
  if (check.replaced) {
    head.set_anchors(evolved.view_as(pixels));
    spdlog::info(
        "{}Done: the model's anchors are replaced (its checkpoints carry them; optional: "
        "update the model yaml to use these anchors in the future)",
        kPrefix);
  } else {
    spdlog::info(
        "{}Done (original anchors better than new anchors, proceeding with original "
        "anchors)",
        kPrefix);
  }
  return check;
}

void check_run_anchors(nn::DetectImpl& head, const data::Dataset& dataset,
                       const config::ExperimentConfig& config, distributed::Context& context) {
  if (context.is_main()) {
    check_anchors(head, dataset,
                  AutoAnchorOptions()
                      .img_size(config.train.imgsz)
                      .anchor_t(config.hyp.anchor_t)
                      .seed(static_cast<uint64_t>(config.train.seed)));
  }
  // The head's own buffers (on the training device): the anchors, and IDetect's decoding copy.
  context.broadcast(head.buffers(/*recurse=*/false));
}

}  // namespace qyolo::train
