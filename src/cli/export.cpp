// qyolo export: ONNX with Q/DQ nodes, or the packed integer qyolo-int format.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/model_source_flags.h"
#include "qyolo/core/error.h"
#include "qyolo/export/onnx_export.h"
#include "qyolo/export/packed_export.h"

namespace qyolo::cli {
namespace {

struct ExportOptions {
  quant::ModelSourceOptions source;
  std::string format = "onnx";
  std::string output;
  int64_t opset = 13;
  int64_t img = 640;
  int64_t batch = 1;
  bool dynamic = false;
  bool include_nms = false;
  double conf = 0.25;
  double iou = 0.45;
  int64_t max_det = 300;
};

std::filesystem::path default_output(const ExportOptions& o) {
  std::filesystem::path base =
      o.source.weights.empty()
          ? std::filesystem::path(o.source.config.empty() ? o.source.model : o.source.config)
          : std::filesystem::path(o.source.weights);
  return base.replace_extension(o.format == "onnx" ? ".onnx" : ".qint");
}

int run_export(const ExportOptions& o) {
  quant::LoadedModel loaded = quant::load_model_source(o.source);
  const auto out = o.output.empty() ? default_output(o) : std::filesystem::path(o.output);
  if (o.format == "onnx") {
    const auto summary = exporter::export_onnx(*loaded.model,
                                               exporter::OnnxExportOptions()
                                                   .opset(o.opset)
                                                   .imgsz(o.img)
                                                   .batch(o.batch)
                                                   .dynamic(o.dynamic)
                                                   .include_nms(o.include_nms)
                                                   .conf_thres(o.conf)
                                                   .iou_thres(o.iou)
                                                   .max_det(o.max_det),
                                               out);
    spdlog::info("ONNX opset {} -> {} ({:.2f} MB, {} nodes, {} quantized convs, {} FP convs)",
                 o.opset, out.string(), summary.bytes / 1e6, summary.nodes, summary.quantized_convs,
                 summary.fp_convs);
  } else {
    const auto summary = exporter::export_packed(*loaded.model, out);
    spdlog::info("qyolo-int -> {} ({:.3f} MB of weights, {:.1f}x smaller than FP32 {:.3f} MB)",
                 out.string(), summary.payload_bytes / 1e6,
                 summary.fp32_bytes / static_cast<double>(summary.payload_bytes),
                 summary.fp32_bytes / 1e6);
  }
  return 0;
}

}  // namespace

Command add_export(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* sub = app.add_subcommand("export", "Export a model to ONNX (Q/DQ) or packed integers");
  add_model_source_options(sub, o->source);
  sub->add_option("--format", o->format, "onnx, or qyolo-int (weights packed at their bit width)")
      ->check(CLI::IsMember({"onnx", "qyolo-int"}))
      ->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output file (default: next to the weights)");
  sub->add_option("--opset", o->opset, "ONNX opset")
      ->check(CLI::Range(13, 17))
      ->capture_default_str();
  sub->add_option("--img", o->img, "Square input size")
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  sub->add_option("--batch", o->batch, "Static batch size")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_flag("--dynamic", o->dynamic, "Symbolic batch dimension");
  sub->add_flag("--include-nms", o->include_nms,
                "Append ONNX NonMaxSuppression (output 'detections')");
  sub->add_option("--conf", o->conf, "NMS score threshold (with --include-nms)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_option("--iou", o->iou, "NMS IoU threshold (with --include-nms)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_option("--max-det", o->max_det, "NMS boxes per class (with --include-nms)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  return {sub, [o] { return run_export(*o); }};
}

}  // namespace qyolo::cli
