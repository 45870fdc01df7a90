#include "qyolo/eval/coco_eval.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "qyolo/core/error.h"
#include "qyolo/eval/ap_per_class.h"

namespace qyolo::eval {

namespace {

// numpy's pairwise summation (what np.mean uses on a contiguous float64 array).
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
      s += a[i];
    }
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) {
      r[j] = a[j];
    }
    size_t i = 8;
    for (; i < n - n % 8; i += 8) {
      for (int j = 0; j < 8; ++j) {
        r[j] += a[i + j];
      }
    }
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) {
      s += a[i];
    }
    return s;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

constexpr double kSpacing1 = std::numeric_limits<double>::epsilon();  // np.spacing(1)

}  // namespace

CocoIouType parse_coco_iou_type(const std::string& name) {
  if (name == "bbox") {
    return CocoIouType::kBbox;
  }
  if (name == "segm") {
    return CocoIouType::kSegm;
  }
  throw UsageError("unknown COCO iou type '" + name + "'; expected 'bbox' or 'segm'");
}

CocoEvalParams::CocoEvalParams()
    : iou_thresholds(linspace(0.5, 0.95, 10)), recall_thresholds(linspace(0.0, 1.0, 101)) {}

struct CocoEvaluator::Cell {
  std::vector<const CocoAnnotation*> gts;
  std::vector<const CocoAnnotation*> dts;  // by decreasing score, at most max_dets.back()
  std::vector<double> ious;                // (dts, gts)
};

struct CocoEvaluator::ImageEval {
  std::vector<double> scores;       // D
  std::vector<int64_t> matched_gt;  // (T, D) matched ground-truth id, 0 = none
  std::vector<uint8_t> dt_ignore;   // (T, D)
  int64_t gt_not_ignored = 0;
};

CocoEvaluator::CocoEvaluator(const CocoDataset& ground_truth, const CocoDataset& detections,
                             CocoIouType type)
    : gt_(ground_truth), dt_(detections), type_(type) {
  params_.image_ids = gt_.image_ids();
  params_.category_ids = gt_.category_ids();
}

CocoEvaluator::~CocoEvaluator() = default;

void CocoEvaluator::evaluate() {
  auto& p = params_;
  std::sort(p.image_ids.begin(), p.image_ids.end());
  p.image_ids.erase(std::unique(p.image_ids.begin(), p.image_ids.end()), p.image_ids.end());
  std::sort(p.category_ids.begin(), p.category_ids.end());
  p.category_ids.erase(std::unique(p.category_ids.begin(), p.category_ids.end()),
                       p.category_ids.end());
  std::sort(p.max_dets.begin(), p.max_dets.end());
  TORCH_CHECK(!p.max_dets.empty(), "COCOeval: max_dets is empty");

  const size_t num_images = p.image_ids.size();
  const size_t num_cats = p.use_categories ? p.category_ids.size() : 1;
  std::unordered_map<int64_t, size_t> image_slot, cat_slot;
  for (size_t i = 0; i < num_images; ++i) {
    image_slot[p.image_ids[i]] = i;
  }
  for (size_t k = 0; k < p.category_ids.size(); ++k) {
    cat_slot[p.category_ids[k]] = p.use_categories ? k : 0;
  }
  // Cells in (category, image) order; gts and dts keep their file order inside a cell.
  std::vector<int32_t> cell_of(num_cats * num_images, -1);
  cells_.clear();
  auto cell_for = [&](const CocoAnnotation& a) -> Cell* {
    auto i = image_slot.find(a.image_id);
    auto k = cat_slot.find(a.category_id);
    if (i == image_slot.end() || k == cat_slot.end()) {
      return nullptr;
    }
    int32_t& slot = cell_of[k->second * num_images + i->second];
    if (slot < 0) {
      slot = static_cast<int32_t>(cells_.size());
      cells_.emplace_back();
    }
    return &cells_[slot];
  };
  for (const auto& a : gt_.annotations()) {
    if (Cell* c = cell_for(a)) {
      c->gts.push_back(&a);
    }
  }
  for (const auto& a : dt_.annotations()) {
    if (Cell* c = cell_for(a)) {
      c->dts.push_back(&a);
    }
  }

  // Every cell is independent: cell c owns evals_[c * num_areas + a], so the cells can be
  // evaluated on the intra-op threads (--threads) in any order with the same result.
  const size_t num_areas = p.area_ranges.size();
  struct Task {
    int32_t cell;
    size_t category, image;
  };
  std::vector<Task> tasks;
  tasks.reserve(cells_.size());
  for (size_t k = 0; k < num_cats; ++k) {
    for (size_t i = 0; i < num_images; ++i) {
      const int32_t c = cell_of[k * num_images + i];
      if (c >= 0) tasks.push_back({c, k, i});
    }
  }
  evals_.assign(cells_.size() * num_areas, ImageEval{});
  eval_of_.assign(num_cats * num_areas * num_images, -1);
  at::parallel_for(0, static_cast<int64_t>(tasks.size()), 64, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      evaluate_cell(tasks[t].cell, tasks[t].category, tasks[t].image);
    }
  });
  cells_.clear();
  cells_.shrink_to_fit();
}

void CocoEvaluator::evaluate_cell(int32_t cell_index, size_t k, size_t i) {
  const auto& p = params_;
  Cell& cell = cells_[cell_index];
  const size_t max_det = static_cast<size_t>(p.max_dets.back());
  std::stable_sort(
      cell.dts.begin(), cell.dts.end(),
      [](const CocoAnnotation* a, const CocoAnnotation* b) { return a->score > b->score; });
  if (cell.dts.size() > max_det) {
    cell.dts.resize(max_det);
  }
  const size_t D = cell.dts.size(), G = cell.gts.size();
  std::vector<uint8_t> crowd(G);
  for (size_t g = 0; g < G; ++g) {
    crowd[g] = cell.gts[g]->iscrowd;
  }
  cell.ious.assign(D * G, 0.0);
  if (D > 0 && G > 0) {
    if (type_ == CocoIouType::kBbox) {
      std::vector<std::array<double, 4>> db(D), gb(G);
      for (size_t d = 0; d < D; ++d) {
        db[d] = cell.dts[d]->bbox;
      }
      for (size_t g = 0; g < G; ++g) {
        gb[g] = cell.gts[g]->bbox;
      }
      coco_box_iou(db, gb, crowd, cell.ious.data());
    } else {
      std::vector<Rle> dr, gr;
      for (const auto* a : cell.dts) {
        dr.push_back(dt_.annotation_rle(*a));
      }
      for (const auto* a : cell.gts) {
        gr.push_back(gt_.annotation_rle(*a));
      }
      std::vector<const Rle*> dptr, gptr;
      for (const auto& r : dr) {
        dptr.push_back(&r);
      }
      for (const auto& r : gr) {
        gptr.push_back(&r);
      }
      coco_mask_iou(dptr, gptr, crowd, cell.ious.data());
    }
  }

  const size_t T = p.iou_thresholds.size();
  const size_t num_areas = p.area_ranges.size(), num_images = p.image_ids.size();
  std::vector<size_t> order(G);
  std::vector<uint8_t> gt_ignore(G), gt_taken(T * G);
  for (size_t a = 0; a < num_areas; ++a) {
    const auto& range = p.area_ranges[a];
    ImageEval e;
    e.scores.resize(D);
    for (size_t d = 0; d < D; ++d) {
      e.scores[d] = cell.dts[d]->score;
    }
    // Ground truth that is crowd or outside the area range is "ignore": sorted last.
    std::vector<uint8_t> ignore_in_file_order(G);
    for (size_t g = 0; g < G; ++g) {
      const auto* gt = cell.gts[g];
      ignore_in_file_order[g] = gt->iscrowd || gt->area < range[0] || gt->area > range[1];
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return ignore_in_file_order[x] < ignore_in_file_order[y];
    });
    for (size_t g = 0; g < G; ++g) {
      gt_ignore[g] = ignore_in_file_order[order[g]];
      e.gt_not_ignored += gt_ignore[g] == 0;
    }
    e.matched_gt.assign(T * D, 0);
    e.dt_ignore.assign(T * D, 0);
    std::fill(gt_taken.begin(), gt_taken.end(), 0);
    if (D > 0 && G > 0) {
      for (size_t t = 0; t < T; ++t) {
        for (size_t d = 0; d < D; ++d) {
          double best = std::min(p.iou_thresholds[t], 1 - 1e-10);
          int64_t m = -1;
          for (size_t g = 0; g < G; ++g) {
            const size_t src = order[g];
            if (gt_taken[t * G + g] && !crowd[src]) {
              continue;
            }
            // Once matched to a regular gt, stop at the first ignored one.
            if (m > -1 && gt_ignore[m] == 0 && gt_ignore[g] == 1) {
              break;
            }
            const double iou = cell.ious[d * G + src];
            if (iou < best) {
              continue;
            }
            best = iou;
            m = static_cast<int64_t>(g);
          }
          if (m == -1) {
            continue;
          }
          e.dt_ignore[t * D + d] = gt_ignore[m];
          e.matched_gt[t * D + d] = cell.gts[order[m]]->id;
          gt_taken[t * G + m] = 1;  // the reference stores the dt id (always > 0)
        }
      }
    }
    // Unmatched detections outside the area range are ignored too.
    for (size_t d = 0; d < D; ++d) {
      const double area = cell.dts[d]->area;
      if (area < range[0] || area > range[1]) {
        for (size_t t = 0; t < T; ++t) {
          if (e.matched_gt[t * D + d] == 0) {
            e.dt_ignore[t * D + d] = 1;
          }
        }
      }
    }
    const auto slot = static_cast<int32_t>(cell_index * num_areas + a);
    eval_of_[(k * num_areas + a) * num_images + i] = slot;
    evals_[slot] = std::move(e);
  }
}

void CocoEvaluator::accumulate() {
  const auto& p = params_;
  TORCH_CHECK(!eval_of_.empty() || p.image_ids.empty() || p.category_ids.empty(),
              "COCOeval: run evaluate() first");
  const int64_t T = p.iou_thresholds.size(), R = p.recall_thresholds.size(),
                K = p.use_categories ? p.category_ids.size() : 1, A = p.area_ranges.size(),
                M = p.max_dets.size(), I = p.image_ids.size();
  precision_ = -torch::ones({T, R, K, A, M}, torch::kDouble);
  recall_ = -torch::ones({T, K, A, M}, torch::kDouble);
  scores_ = -torch::ones({T, R, K, A, M}, torch::kDouble);
  auto prec = precision_.accessor<double, 5>();
  auto rec = recall_.accessor<double, 4>();
  auto sc = scores_.accessor<double, 5>();

  struct Entry {
    double score;
    int32_t eval;
    int32_t rank;  // position within its image's detections
  };
  // Categories fill disjoint slices of precision, recall and scores, so they run in parallel.
  at::parallel_for(0, K, 1, [&](int64_t k_begin, int64_t k_end) {
    std::vector<Entry> all;
    std::vector<double> rc, pr;
    std::vector<const Entry*> picked;
    for (int64_t k = k_begin; k < k_end; ++k) {
      for (int64_t a = 0; a < A; ++a) {
        // Detections of all images in image order, then a stable sort by decreasing score: for
        // smaller maxDets the subsequence with rank < maxDet is exactly the reference's order.
        all.clear();
        int64_t npig = 0;
        bool any = false;
        for (int64_t i = 0; i < I; ++i) {
          const int32_t ev = eval_of_[(k * A + a) * I + i];
          if (ev < 0) {
            continue;
          }
          any = true;
          const ImageEval& e = evals_[ev];
          npig += e.gt_not_ignored;
          for (size_t d = 0; d < e.scores.size(); ++d) {
            all.push_back({e.scores[d], ev, static_cast<int32_t>(d)});
          }
        }
        if (!any || npig == 0) {
          continue;
        }
        std::stable_sort(all.begin(), all.end(),
                         [](const Entry& x, const Entry& y) { return -x.score < -y.score; });
        for (int64_t m = 0; m < M; ++m) {
          const int64_t max_det = p.max_dets[m];
          picked.clear();
          for (const auto& en : all) {
            if (en.rank < max_det) {
              picked.push_back(&en);
            }
          }
          const size_t nd = picked.size();
          rc.resize(nd);
          pr.resize(nd);
          for (int64_t t = 0; t < T; ++t) {
            double tp = 0, fp = 0;
            for (size_t j = 0; j < nd; ++j) {
              const ImageEval& e = evals_[picked[j]->eval];
              const size_t D = e.scores.size();
              const size_t at = t * D + picked[j]->rank;
              if (!e.dt_ignore[at]) {
                (e.matched_gt[at] != 0 ? tp : fp) += 1;
              }
              rc[j] = tp / static_cast<double>(npig);
              pr[j] = tp / (fp + tp + kSpacing1);
            }
            rec[t][k][a][m] = nd ? rc[nd - 1] : 0.0;
            for (size_t j = nd; j-- > 1;) {
              if (pr[j] > pr[j - 1]) {
                pr[j - 1] = pr[j];
              }
            }
            size_t j = 0;
            for (int64_t r = 0; r < R; ++r) {
              // searchsorted(rc, thr, 'left'); past the end the rest stay 0.
              while (j < nd && rc[j] < p.recall_thresholds[r]) {
                ++j;
              }
              if (j >= nd) {
                for (; r < R; ++r) {
                  prec[t][r][k][a][m] = 0;
                  sc[t][r][k][a][m] = 0;
                }
                break;
              }
              prec[t][r][k][a][m] = pr[j];
              sc[t][r][k][a][m] = picked[j]->score;
            }
          }
        }
      }
    }
  });
}

double CocoEvaluator::summarize_one(bool ap, double iou_threshold, const std::string& area,
                                    int64_t max_dets, std::string& text) const {
  const auto& p = params_;
  std::vector<int64_t> t_sel, a_sel, m_sel;
  for (size_t t = 0; t < p.iou_thresholds.size(); ++t) {
    if (iou_threshold < 0 || p.iou_thresholds[t] == iou_threshold) {
      t_sel.push_back(t);
    }
  }
  for (size_t a = 0; a < p.area_labels.size(); ++a) {
    if (p.area_labels[a] == area) {
      a_sel.push_back(a);
    }
  }
  for (size_t m = 0; m < p.max_dets.size(); ++m) {
    if (p.max_dets[m] == max_dets) {
      m_sel.push_back(m);
    }
  }
  std::vector<double> values;
  if (a_sel.size() == 1 && m_sel.size() == 1) {
    const int64_t a = a_sel[0], m = m_sel[0];
    if (ap) {
      auto prec = precision_.accessor<double, 5>();
      for (int64_t t : t_sel) {
        for (int64_t r = 0; r < prec.size(1); ++r) {
          for (int64_t k = 0; k < prec.size(2); ++k) {
            if (prec[t][r][k][a][m] > -1) {
              values.push_back(prec[t][r][k][a][m]);
            }
          }
        }
      }
    } else {
      auto rec = recall_.accessor<double, 4>();
      for (int64_t t : t_sel) {
        for (int64_t k = 0; k < rec.size(1); ++k) {
          if (rec[t][k][a][m] > -1) {
            values.push_back(rec[t][k][a][m]);
          }
        }
      }
    }
  }
  const double mean =
      values.empty() ? -1.0 : pairwise_sum(values.data(), values.size()) / values.size();
  char iou_text[32];
  if (iou_threshold < 0) {
    std::snprintf(iou_text, sizeof iou_text, "%0.2f:%0.2f", p.iou_thresholds.front(),
                  p.iou_thresholds.back());
  } else {
    std::snprintf(iou_text, sizeof iou_text, "%0.2f", iou_threshold);
  }
  char line[160];
  std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld ] = %0.3f\n",
                ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou_text,
                area.c_str(), static_cast<long long>(max_dets), mean);
  text += line;
  return mean;
}

std::array<double, 12> CocoEvaluator::summarize() {
  TORCH_CHECK(precision_.defined(), "COCOeval: run accumulate() first");
  TORCH_CHECK(params_.max_dets.size() >= 3, "COCOeval: the summary needs three maxDets");
  const auto& md = params_.max_dets;
  std::string text;
  stats_ = {summarize_one(true, -1, "all", md[2], text),
            summarize_one(true, 0.5, "all", md[2], text),
            summarize_one(true, 0.75, "all", md[2], text),
            summarize_one(true, -1, "small", md[2], text),
            summarize_one(true, -1, "medium", md[2], text),
            summarize_one(true, -1, "large", md[2], text),
            summarize_one(false, -1, "all", md[0], text),
            summarize_one(false, -1, "all", md[1], text),
            summarize_one(false, -1, "all", md[2], text),
            summarize_one(false, -1, "small", md[2], text),
            summarize_one(false, -1, "medium", md[2], text),
            summarize_one(false, -1, "large", md[2], text)};
  summary_text_ = text;
  return stats_;
}

const std::array<const char*, 12>& coco_stat_names() {
  static const std::array<const char*, 12> names{"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                                 "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  return names;
}

CocoEvalResult evaluate_coco(const CocoDataset& ground_truth, const CocoDataset& detections,
                             CocoIouType iou_type, const std::vector<int64_t>& image_ids) {
  CocoEvaluator evaluator(ground_truth, detections, iou_type);
  if (!image_ids.empty()) evaluator.params().image_ids = image_ids;
  evaluator.evaluate();
  evaluator.accumulate();
  CocoEvalResult result;
  result.stats = evaluator.summarize();
  result.summary_text = evaluator.summary_text();
  result.precision = evaluator.precision();
  result.recall = evaluator.recall();
  result.scores = evaluator.scores();
  nlohmann::json names = nlohmann::json::array();
  for (const char* n : coco_stat_names()) {
    names.push_back(n);
  }
  result.json = {{"iou_type", iou_type == CocoIouType::kBbox ? "bbox" : "segm"},
                 {"stats", result.stats},
                 {"stats_names", names},
                 {"summary", result.summary_text}};
  return result;
}

CocoEvalResult evaluate_coco_files(const std::filesystem::path& annotations_json,
                                   const std::filesystem::path& results_json,
                                   CocoIouType iou_type) {
  const CocoDataset gt = CocoDataset::load(annotations_json);
  const CocoDataset dt = gt.load_results(results_json);
  return evaluate_coco(gt, dt, iou_type);
}

}  // namespace qyolo::eval
