// The keys of each config section, listed once (see config.h).
#pragma once

namespace qyolo::config {

template <class V>
void Hyp::visit(V& v) {
  v("lr0", lr0, Range{0.0, 10.0});
  v("lrf", lrf, Range{0.0, 1.0});
  v("momentum", momentum, Range{0.0, 1.0});
  v("weight_decay", weight_decay, Range{0.0, 1.0});
  v("warmup_epochs", warmup_epochs, Range{0.0, 1000.0});
  v("warmup_momentum", warmup_momentum, Range{0.0, 1.0});
  v("warmup_bias_lr", warmup_bias_lr, Range{0.0, 10.0});
  v("box", box, Range{0.0, 100.0});
  v("cls", cls, Range{0.0, 100.0});
  v("cls_pw", cls_pw, Range{0.0, 100.0});
  v("obj", obj, Range{0.0, 100.0});
  v("obj_pw", obj_pw, Range{0.0, 100.0});
  v("iou_t", iou_t, Range{0.0, 1.0});
  v("anchor_t", anchor_t, Range{1.0, 100.0});
  v("fl_gamma", fl_gamma, Range{0.0, 10.0});
  v("hsv_h", hsv_h, Range{0.0, 1.0});
  v("hsv_s", hsv_s, Range{0.0, 1.0});
  v("hsv_v", hsv_v, Range{0.0, 1.0});
  v("degrees", degrees, Range{0.0, 180.0});
  v("translate", translate, Range{0.0, 1.0});
  v("scale", scale, Range{0.0, 10.0});
  v("shear", shear, Range{0.0, 90.0});
  v("perspective", perspective, Range{0.0, 0.01});
  v("flipud", flipud, Range{0.0, 1.0});
  v("fliplr", fliplr, Range{0.0, 1.0});
  v("mosaic", mosaic, Range{0.0, 1.0});
  v("mixup", mixup, Range{0.0, 1.0});
  v("copy_paste", copy_paste, Range{0.0, 1.0});
  v("anchors", anchors, Range{0.0, 10.0});
  v("label_smoothing", label_smoothing, Range{0.0, 1.0});
  v("loss_ota", loss_ota, Range{0.0, 1.0});
}

template <class V>
void TrainConfig::visit(V& v) {
  v("epochs", epochs, Range{1, 100000});
  v("batch", batch, Range{1, 65536});
  v("imgsz", imgsz, Range{32, 8192});
  v("optimizer", optimizer, OneOf{{"SGD", "Adam", "AdamW"}});
  v("workers", workers, Range{0, 256});
  v("seed", seed, Range{0, 2147483647.0});
  v("deterministic", deterministic, Any{});
  v("device", device, Any{});
  v("threads", threads, Range{0, 1024});
  v("project", project, Any{});
  v("name", name, Any{});
  v("exist_ok", exist_ok, Any{});
  v("weights", weights, Any{});
  v("patience", patience, Range{0, 100000});
  v("close_mosaic", close_mosaic, Range{0, 100000});
  v("cos_lr", cos_lr, Any{});
  v("multi_scale", multi_scale, Any{});
  v("save_period", save_period, Range{-1, 100000});
  v("cache_ram", cache_ram, Any{});
  v("rect", rect, Any{});
  v("nbs", nbs, Range{1, 65536});
  v("fraction", fraction, Range{1e-6, 1.0});
  v("strict_data", strict_data, Any{});
  v("val", val, Any{});
  v("dist_timeout", dist_timeout, Range{1, 86400 * 7});
  v("sync_bn", sync_bn, Any{});
  v("ema_decay", ema_decay, Range{0.0, 0.999999});
  v("ema_tau", ema_tau, Range{1.0, 1e9});
  v("val_latent", val_latent, Any{});
  v("noautoanchor", noautoanchor, Any{});
}

template <class V>
void EvalConfig::visit(V& v) {
  v("conf", conf, Range{0.0, 1.0});
  v("iou", iou, Range{0.0, 1.0});
  v("max_det", max_det, Range{1, 100000});
  v("batch", batch, Range{1, 65536});
  v("task", task, OneOf{{"det", "seg"}});
  v("save_json", save_json, Any{});
  v("plots", plots, Any{});
}

template <class V>
void QuantOverride::visit(V& v) {
  v("pattern", pattern, Any{});
  v("weight_bits", weight_bits, Range{1, 32});
  v("act_bits", act_bits, Range{1, 32});
  v("weight_kind", weight_kind, OneOf{{"lsq", "lsq_plus", "binary", "fp"}});
  v("act_kind", act_kind, OneOf{{"lsq", "lsq_plus", "binary", "fp"}});
}

template <class V>
void QuantGroup::visit(V& v) {
  v("name", name, Any{});
  v("layers", layers, Any{});
  v("weight_bits", weight_bits, Range{1, 32});
  v("act_bits", act_bits, Range{1, 32});
  v("weight_kind", weight_kind, OneOf{{"lsq", "lsq_plus", "binary", "fp"}});
  v("act_kind", act_kind, OneOf{{"lsq", "lsq_plus", "binary", "fp"}});
}

template <class V>
void QuantStage::visit(V& v) {
  v("name", name, Any{});
  v("groups", groups, Any{});
  v("epochs", epochs, Range{0, 100000});
}

template <class V>
void OscillationConfig::visit(V& v) {
  v("track", track, Any{});
  v("momentum", momentum, Range{0.0, 1.0});
  v("threshold", threshold, Range{0.0, 1.0});
}

template <class V>
void DampenConfig::visit(V& v) {
  v("enabled", enabled, Any{});
  v("lambda_start", lambda_start, Range{0.0, 1e6});
  v("lambda_end", lambda_end, Range{0.0, 1e6});
  v("schedule", schedule, OneOf{{"constant", "linear", "cosine"}});
}

template <class V>
void FreezeConfig::visit(V& v) {
  v("enabled", enabled, Any{});
  v("threshold", threshold, Range{0.0, 1.0});
}

template <class V>
void QuantConfig::visit(V& v) {
  v("enabled", enabled, Any{});
  v("weight_bits", weight_bits, Range{1, 8});
  v("act_bits", act_bits, Range{1, 8});
  v("weight_kind", weight_kind, OneOf{{"lsq", "lsq_plus"}});
  v("act_kind", act_kind, OneOf{{"lsq", "lsq_plus"}});
  v("per_channel", per_channel, Any{});
  v("first_bits", first_bits, Range{2, 32});
  v("learn_image_step", learn_image_step, Any{});
  v("last_bits", last_bits, Range{2, 32});
  v("act_init", act_init, OneOf{{"minmax", "mse"}});
  v("calib_batches", calib_batches, Range{1, 10000});
  v("recalibrate_bn", recalibrate_bn, Range{0, 10000});
  v("ema", ema, Any{});
  v("oscillation", oscillation, Any{});
  v("dampen", dampen, Any{});
  v("freeze", freeze, Any{});
  v("overrides", overrides, Any{});
  v("groups", groups, Any{});
  v("stages", stages, Any{});
}

template <class V>
void ExperimentConfig::visit(V& v) {
  v("model", model, Any{});
  v("data", data, Any{});
  v("nc", nc, Range{0, 100000});
  v("hyp", hyp, Any{});
  v("train", train, Any{});
  v("quant", quant, Any{});
  v("eval", eval, Any{});
}

}  // namespace qyolo::config
