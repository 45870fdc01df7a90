#include "qyolo/eval/validator.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "qyolo/core/progress.h"
#include "qyolo/data/byte_text.h"
#include "qyolo/data/letterbox.h"
#include "qyolo/eval/masks.h"
#include "qyolo/eval/matching.h"
#include "qyolo/eval/nms.h"
#include "qyolo/geometry/boxes.h"

namespace qyolo::eval {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What val.py's `stats` list accumulates over images.
struct Stats {
  std::vector<torch::Tensor> correct, conf, pred_cls, target_cls;

  void add(torch::Tensor c, torch::Tensor cf, torch::Tensor pc, torch::Tensor tc) {
    correct.push_back(std::move(c));
    conf.push_back(std::move(cf));
    pred_cls.push_back(std::move(pc));
    target_cls.push_back(std::move(tc));
  }

  ValidationMetrics score(int64_t num_classes) const {
    ValidationMetrics m;
    const auto target = target_cls.empty() ? torch::zeros({0}) : torch::cat(target_cls);
    if (correct.empty() || target.numel() == 0) {
      m.summary.labels_per_class.assign(num_classes, 0);
      return m;
    }
    ApPerClass ap =
        ap_per_class(torch::cat(correct), torch::cat(conf), torch::cat(pred_cls), target);
    m.summary = summarize(ap, target, num_classes);
    m.fitness = fitness(m.summary);
    m.per_class = std::move(ap);
    return m;
  }
};

std::string format_row(const std::string& name, int64_t images, int64_t instances, double p,
                       double r, double map50, double map) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%22s%11ld%11ld%11.3g%11.3g%11.3g%11.3g", name.c_str(),
                static_cast<long>(images), static_cast<long>(instances), p, r, map50, map);
  return buf;
}

}  // namespace

nlohmann::json coco_image_id(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();
  const bool numeric = !stem.empty() && std::all_of(stem.begin(), stem.end(), ::isdigit);
  if (numeric) return std::stoll(stem);
  // JSON text must be UTF-8 while file names are bytes.
  return data::is_utf8(stem) ? stem : data::escape_bytes(stem);
}

std::string ValidationResult::table(const std::vector<std::string>& names) const {
  char header[160];
  std::snprintf(header, sizeof(header), "%22s%11s%11s%11s%11s%11s%11s", "Class", "Images",
                "Instances", "P", "R", "mAP50", "mAP50-95");
  std::string out = header;
  auto add_metrics = [&](const ValidationMetrics& m, const std::string& label) {
    const auto& s = m.summary;
    out += "\n" + format_row(label, images, labels, s.mp, s.mr, s.map50, s.map50_95);
    if (!m.per_class || label != "all") return;
    const auto& pc = *m.per_class;
    const auto ap50 = pc.ap50(), ap = pc.ap50_95();
    for (int64_t i = 0; i < pc.classes.numel(); ++i) {
      const int64_t c = pc.classes[i].item<int64_t>();
      const std::string name =
          c < static_cast<int64_t>(names.size()) ? names[c] : std::to_string(c);
      const int64_t nt =
          c < static_cast<int64_t>(s.labels_per_class.size()) ? s.labels_per_class[c] : 0;
      out += "\n" + format_row(name, images, nt, pc.precision[i].item<double>(),
                               pc.recall[i].item<double>(), ap50[i].item<double>(),
                               ap[i].item<double>());
    }
  };
  add_metrics(box, "all");
  if (mask) add_metrics(*mask, "all (masks)");
  return out;
}

ValidationResult validate(nn::ModelImpl& model, data::Loader& loader, int64_t num_classes,
                          const ValidationOptions& o, const ValidationLoss& loss) {
  torch::NoGradGuard no_grad;
  model.eval();
  const auto params = model.parameters();
  const torch::Device device =
      params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  const auto iouv = default_iou_thresholds();
  const bool masks = o.masks() && model.nm() > 0;
  Stats box_stats, mask_stats;
  ValidationResult result;
  result.confusion = ConfusionMatrix(num_classes);
  torch::Tensor loss_sum;
  int64_t batches = 0;
  double t_inference = 0, t_nms = 0;

  loader.start_epoch(0);
  ProgressBar bar(o.progress() ? loader.size() : 0, "val");
  while (auto batch = loader.next()) {
    const auto images = batch->images.to(device).to(torch::kFloat).div_(255);
    const int64_t height = images.size(2), width = images.size(3);
    auto t0 = Clock::now();
    const nn::ModelOutput output = model.forward(images);
    t_inference += seconds_since(t0);
    if (loss) {
      const auto items = loss(output, *batch).detach().cpu();
      loss_sum = loss_sum.defined() ? loss_sum + items : items.clone();
    }
    t0 = Clock::now();
    const auto preds = non_max_suppression(output.decoded, NmsOptions()
                                                               .conf_thres(o.conf_thres())
                                                               .iou_thres(o.iou_thres())
                                                               .multi_label(true)
                                                               .max_det(o.max_det())
                                                               .num_masks(masks ? model.nm() : 0));
    t_nms += seconds_since(t0);
    auto targets = batch->targets.clone();
    targets.narrow(1, 2, 4).mul_(
        torch::tensor({static_cast<float>(width), static_cast<float>(height),
                       static_cast<float>(width), static_cast<float>(height)}));
    const std::array<int64_t, 2> input_hw{height, width};
    int64_t first_label = 0;
    for (int64_t si = 0; si < static_cast<int64_t>(preds.size()); ++si) {
      const auto pred = preds[si].cpu();
      const auto labels = targets.index({targets.select(1, 0) == si}).narrow(1, 1, 5);
      const int64_t nl = labels.size(0), npr = pred.size(0);
      const auto& shapes = batch->shapes.at(si);
      TORCH_CHECK(shapes.has_value(), "validation images must be letterboxed (no shapes for ",
                  batch->paths[si], ")");
      const std::array<int64_t, 2> original_hw{shapes->original_hw[0], shapes->original_hw[1]};
      ++result.images;
      result.labels += nl;
      torch::Tensor gt_masks;
      if (masks) {
        gt_masks = batch->mask_format == data::MaskFormat::kOverlap
                       ? split_overlap_mask(batch->masks[si].unsqueeze(0), nl)
                       : batch->masks.narrow(0, first_label, nl);
        first_label += nl;
      }
      auto correct = torch::zeros({npr, iouv.numel()}, torch::kBool);
      if (npr == 0) {
        if (nl) {
          box_stats.add(correct, torch::zeros({0}), torch::zeros({0}), labels.select(1, 0));
          if (masks)
            mask_stats.add(correct, torch::zeros({0}), torch::zeros({0}), labels.select(1, 0));
          result.confusion.process_batch(std::nullopt, labels);
        }
        continue;
      }
      auto predn = pred.narrow(1, 0, 6).clone();
      predn.narrow(1, 0, 4).copy_(data::scale_boxes(input_hw, predn.narrow(1, 0, 4).clone(),
                                                    original_hw, &shapes->placement));
      torch::Tensor correct_masks = correct;
      if (nl) {
        const auto tbox = data::scale_boxes(input_hw, geometry::xywh2xyxy(labels.narrow(1, 1, 4)),
                                            original_hw, &shapes->placement);
        const auto labelsn = torch::cat({labels.narrow(1, 0, 1), tbox}, 1);
        correct = process_batch(predn, labelsn, iouv);
        if (masks) {
          const auto pred_masks =
              process_mask(output.proto[si].cpu(), pred.narrow(1, 6, model.nm()),
                           pred.narrow(1, 0, 4), input_hw);
          correct_masks = process_batch_masks(predn, labelsn, pred_masks, gt_masks, iouv);
        }
        result.confusion.process_batch(predn, labelsn);
      }
      box_stats.add(correct, pred.select(1, 4), pred.select(1, 5), labels.select(1, 0));
      if (masks)
        mask_stats.add(correct_masks, pred.select(1, 4), pred.select(1, 5), labels.select(1, 0));
      if (o.save_json()) {
        const auto image_id = coco_image_id(batch->paths[si]);
        auto xywh = geometry::xyxy2xywh(predn.narrow(1, 0, 4));
        xywh.narrow(1, 0, 2).sub_(xywh.narrow(1, 2, 2) / 2);
        for (int64_t i = 0; i < npr; ++i) {
          const int cls = static_cast<int>(predn[i][5].item<float>());
          const int category =
              cls < static_cast<int>(o.category_ids().size()) ? o.category_ids()[cls] : cls;
          nlohmann::json bbox = nlohmann::json::array();
          for (int k = 0; k < 4; ++k)
            bbox.push_back(std::round(xywh[i][k].item<double>() * 1000) / 1000);
          result.predictions.push_back(
              {{"image_id", image_id},
               {"category_id", category},
               {"bbox", bbox},
               {"score", std::round(predn[i][4].item<double>() * 1e5) / 1e5}});
        }
      }
    }
    if (!result.first_batch) {
      result.first_batch = *batch;
      for (const auto& p : preds) result.first_predictions.push_back(p.cpu());
    }
    ++batches;
    bar.update();
  }
  bar.close();

  result.box = box_stats.score(num_classes);
  if (masks) result.mask = mask_stats.score(num_classes);
  if (loss_sum.defined() && batches > 0) {
    const auto mean = loss_sum / static_cast<double>(batches);
    for (int64_t i = 0; i < mean.numel(); ++i) result.loss_items.push_back(mean[i].item<double>());
  }
  if (result.images > 0) {
    result.ms_per_image_inference = 1000 * t_inference / result.images;
    result.ms_per_image_nms = 1000 * t_nms / result.images;
  }
  return result;
}

}  // namespace qyolo::eval
