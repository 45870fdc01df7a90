// qyolo data: make or convert data sets (FashionDet, Pascal VOC, COCO json <-> YOLO labels).
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "qyolo/data/coco.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/fashiondet.h"
#include "qyolo/data/voc.h"

namespace qyolo::cli {
namespace {

struct YoloToCocoOptions {
  std::string data;
  std::string split = "val";
  std::string out;
  bool segments = false;
};

struct CocoToYoloOptions {
  std::string json;
  std::string labels_dir;
  bool segments = false;
};

struct VocOptions {
  std::string root;
  std::string out = "datasets/VOC";
};

void add_fashiondet(CLI::App* data, std::vector<std::function<int()>>& runners,
                    std::vector<CLI::App*>& subs) {
  auto o = std::make_shared<data::FashionDetOptions>();
  // Paths as strings on the command line; FashionDetOptions takes them as paths.
  auto out = std::make_shared<std::string>(o->out.string());
  auto source = std::make_shared<std::string>(o->source.string());
  CLI::App* sub = data->add_subcommand(
      "fashiondet", "Generate FashionDet (detection + segmentation) from Debian's Fashion-MNIST");
  sub->add_option("--out", *out, "Output folder")->capture_default_str();
  sub->add_option("--train", o->train, "Training images")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  sub->add_option("--val", o->val, "Validation images")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  sub->add_option("--img", o->img, "Image side in pixels")
      ->check(CLI::Range(64, 4096))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Random seed (same seed: byte-identical files)")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "Worker threads (any count gives the same files)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sub->add_option("--source", *source, "Folder with the Fashion-MNIST .gz files")
      ->capture_default_str();
  subs.push_back(sub);
  runners.push_back([o, out, source] {
    o->out = *out;
    o->source = *source;
    const auto s = data::generate_fashiondet(*o);
    spdlog::info("FashionDet: {} images, {} instances -> {}", s.images, s.instances,
                 s.yaml.string());
    return 0;
  });
}

void add_voc(CLI::App* data, std::vector<std::function<int()>>& runners,
             std::vector<CLI::App*>& subs) {
  auto o = std::make_shared<VocOptions>();
  CLI::App* sub = data->add_subcommand("voc", "Convert Pascal VOC (VOCdevkit) to the YOLO layout");
  sub->add_option("--root", o->root, "Folder holding VOCdevkit/ (or VOC2007/, VOC2012/)")
      ->required();
  sub->add_option("--out", o->out, "Output folder")->capture_default_str();
  subs.push_back(sub);
  runners.push_back([o] {
    const auto s = data::convert_voc(o->root, o->out);
    spdlog::info("VOC: {} images, {} labels ({} difficult objects left out) -> {}", s.images,
                 s.labels, s.difficult_skipped, s.yaml.string());
    return 0;
  });
}

void add_coco2yolo(CLI::App* data, std::vector<std::function<int()>>& runners,
                   std::vector<CLI::App*>& subs) {
  auto o = std::make_shared<CocoToYoloOptions>();
  CLI::App* sub =
      data->add_subcommand("coco2yolo", "Write YOLO txt labels from a COCO instances json");
  sub->add_option("--json", o->json, "COCO instances json")->required()->check(CLI::ExistingFile);
  sub->add_option("--labels-dir", o->labels_dir, "Folder for the .txt labels")->required();
  sub->add_flag("--segments", o->segments, "Write polygons instead of boxes");
  subs.push_back(sub);
  runners.push_back([o] {
    const auto s = data::coco_to_yolo(o->json, o->labels_dir, o->segments);
    spdlog::info("{} images, {} label rows ({} crowd annotations skipped) -> {}", s.images,
                 s.labels, s.crowd_skipped, o->labels_dir);
    return 0;
  });
}

void add_yolo2coco(CLI::App* data, std::vector<std::function<int()>>& runners,
                   std::vector<CLI::App*>& subs) {
  auto o = std::make_shared<YoloToCocoOptions>();
  CLI::App* sub =
      data->add_subcommand("yolo2coco", "Write a COCO instances json from a YOLO split");
  sub->add_option("--data", o->data, "Data yaml")->required();
  sub->add_option("--split", o->split, "train or val")
      ->check(CLI::IsMember({"train", "val"}))
      ->capture_default_str();
  sub->add_option("--out", o->out, "Output json")->required();
  sub->add_flag("--segments", o->segments, "Read polygons from labels-seg/ instead of boxes");
  subs.push_back(sub);
  runners.push_back([o] {
    const auto d = data::load_data_yaml(o->data);
    data::require_dataset(d);
    data::yolo_to_coco(o->split == "train" ? d.train : d.val, d.names, o->out,
                       o->segments ? "labels-seg" : "labels");
    spdlog::info("wrote {}", o->out);
    return 0;
  });
}

}  // namespace

Command add_data(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("data", "Make or convert data sets");
  sub->require_subcommand(1);
  auto runners = std::make_shared<std::vector<std::function<int()>>>();
  auto subs = std::make_shared<std::vector<CLI::App*>>();
  add_fashiondet(sub, *runners, *subs);
  add_voc(sub, *runners, *subs);
  add_coco2yolo(sub, *runners, *subs);
  add_yolo2coco(sub, *runners, *subs);
  return {sub, [runners, subs] {
            for (size_t i = 0; i < subs->size(); ++i) {
              if ((*subs)[i]->parsed()) return (*runners)[i]();
            }
            return 2;
          }};
}

}  // namespace qyolo::cli
