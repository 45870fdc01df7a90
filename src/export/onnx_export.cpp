#include "qyolo/export/onnx_export.h"

#include <limits>
#include <map>
#include <sstream>

#include "qyolo/core/checkpoint.h"
#include "qyolo/core/error.h"
#include "qyolo/export/onnx_graph.h"
#include "qyolo/nn/concat.h"
#include "qyolo/nn/conv.h"
#include "qyolo/nn/csp.h"
#include "qyolo/nn/focus.h"
#include "qyolo/nn/image_size.h"
#include "qyolo/nn/implicit.h"
#include "qyolo/nn/pool.h"
#include "qyolo/nn/proto.h"
#include "qyolo/nn/rep_conv.h"
#include "qyolo/nn/spp.h"
#include "qyolo/quant/binary_quantizer.h"
#include "qyolo/quant/conv_quantizer.h"
#include "qyolo/quant/correction.h"
#include "qyolo/quant/lsq_quantizer.h"
#include "qyolo/quant/policy.h"

namespace qyolo::exporter {
namespace {

using torch::nn::Module;

std::vector<int64_t> ints(std::initializer_list<int64_t> v) { return v; }

torch::Tensor scalar(float v) { return torch::tensor(v); }

// Emits the ONNX nodes of qyolo's modules, tracking what was emitted.
class Emitter {
 public:
  Emitter(OnnxGraph& graph, OnnxExportSummary& summary) : g_(graph), summary_(summary) {}

  // A Conv2d with the BatchNorm that follows it (folded) and its ConvQuantizer, if any.
  std::string conv(nn::Conv2dImpl& conv, torch::nn::BatchNorm2dImpl* bn, const std::string& x,
                   const std::string& name) {
    const torch::Tensor w = conv.weight.detach().to(torch::kFloat).cpu();
    const int64_t out = w.size(0);
    torch::Tensor k = torch::ones({out});
    torch::Tensor b = conv.bias.defined() ? conv.bias.detach().cpu().clone() : torch::zeros({out});
    if (bn) {
      const auto var = bn->running_var.detach().cpu();
      k = bn->weight.detach().cpu() / torch::sqrt(var + bn->options.eps());
      b = bn->bias.detach().cpu() + (b - bn->running_mean.detach().cpu()) * k;
    }
    const auto hook = std::dynamic_pointer_cast<quant::ConvQuantizerImpl>(conv.hook());
    std::string input = x;
    if (hook && hook->input_quantizer()) {
      // Convs sharing an input quantizer read one Q/DQ pair, as they read one tensor.
      const auto key = std::make_pair(x, hook->input_quantizer().get());
      auto found = quantized_inputs_.find(key);
      if (found == quantized_inputs_.end()) {
        found =
            quantized_inputs_.emplace(key, activation_quantizer(*hook->input_quantizer(), x, name))
                .first;
      }
      input = found->second;
    }
    const std::string weight = conv_weight(hook.get(), w, k, name);
    (hook && (hook->weight_quantizer() || hook->input_quantizer())) ? ++summary_.quantized_convs
                                                                    : ++summary_.fp_convs;
    const auto& o = conv.options();
    const int64_t p = o.padding();
    return g_.add("Conv", name, {input, weight, g_.add_initializer(name + ".bias", b)},
                  {{"kernel_shape", ints({o.kernel_size(), o.kernel_size()})},
                   {"strides", ints({o.stride(), o.stride()})},
                   {"pads", ints({p, p, p, p})},
                   {"dilations", ints({o.dilation(), o.dilation()})},
                   {"group", o.groups()}});
  }

  std::string activation(const nn::Activation& act, const std::string& x, const std::string& name) {
    Module* m = act.ptr().get();
    if (dynamic_cast<torch::nn::SiLUImpl*>(m)) {
      return g_.add("Mul", name + ".silu", {x, g_.add("Sigmoid", name + ".sigmoid", {x})});
    }
    if (auto* leaky = dynamic_cast<torch::nn::LeakyReLUImpl*>(m)) {
      return g_.add("LeakyRelu", name + ".leaky", {x},
                    {{"alpha", static_cast<float>(leaky->options.negative_slope())}});
    }
    if (dynamic_cast<torch::nn::ReLUImpl*>(m)) return g_.add("Relu", name + ".relu", {x});
    if (dynamic_cast<torch::nn::ReLU6Impl*>(m)) {
      return g_.add("Clip", name + ".relu6",
                    {x, g_.add_initializer(name + ".relu6_min", scalar(0.f)),
                     g_.add_initializer(name + ".relu6_max", scalar(6.f))});
    }
    if (dynamic_cast<torch::nn::SigmoidImpl*>(m)) return g_.add("Sigmoid", name + ".sigmoid", {x});
    if (dynamic_cast<torch::nn::IdentityImpl*>(m)) return x;
    TORCH_CHECK(false, "ONNX export: unsupported activation ", m->name());
  }

  std::string conv_block(nn::ConvImpl& c, const std::string& x, const std::string& name) {
    return activation(c.act, conv(*c.conv, c.bn.get(), x, name + ".conv"), name);
  }

  // Any module of a model layer; `inputs` are the names of its input tensors.
  std::string module(Module& m, const std::vector<std::string>& inputs, const std::string& name) {
    const std::string& x = inputs.front();
    if (auto* c = dynamic_cast<nn::ConvImpl*>(&m)) return conv_block(*c, x, name);
    if (auto* s = dynamic_cast<torch::nn::SequentialImpl*>(&m)) {
      std::string y = x;
      size_t i = 0;
      for (const auto& child : s->children())
        y = module(*child, {y}, name + "." + std::to_string(i++));
      return y;
    }
    if (auto* bt = dynamic_cast<nn::BottleneckImpl*>(&m)) {
      const auto y = conv_block(*bt->cv2, conv_block(*bt->cv1, x, name + ".cv1"), name + ".cv2");
      return bt->add ? g_.add("Add", name + ".add", {x, y}) : y;
    }
    if (auto* c3 = dynamic_cast<nn::C3Impl*>(&m)) {
      const auto a = module(*c3->m, {conv_block(*c3->cv1, x, name + ".cv1")}, name + ".m");
      const auto b = conv_block(*c3->cv2, x, name + ".cv2");
      return conv_block(*c3->cv3, concat({a, b}, 1, name + ".cat"), name + ".cv3");
    }
    if (auto* sppf = dynamic_cast<nn::SPPFImpl*>(&m)) {
      std::vector<std::string> parts{conv_block(*sppf->cv1, x, name + ".cv1")};
      for (int i = 0; i < 3; ++i)
        parts.push_back(max_pool(*sppf->m, parts.back(), name + ".m" + std::to_string(i)));
      return conv_block(*sppf->cv2, concat(parts, 1, name + ".cat"), name + ".cv2");
    }
    if (auto* spp = dynamic_cast<nn::SPPImpl*>(&m)) {
      const auto y = conv_block(*spp->cv1, x, name + ".cv1");
      std::vector<std::string> parts{y};
      for (size_t i = 0; i < spp->m->size(); ++i) {
        parts.push_back(max_pool(*spp->m->ptr<torch::nn::MaxPool2dImpl>(i), y,
                                 name + ".m" + std::to_string(i)));
      }
      return conv_block(*spp->cv2, concat(parts, 1, name + ".cat"), name + ".cv2");
    }
    if (auto* sc = dynamic_cast<nn::SPPCSPCImpl*>(&m)) {
      const auto x1 = conv_block(
          *sc->cv4, conv_block(*sc->cv3, conv_block(*sc->cv1, x, name + ".cv1"), name + ".cv3"),
          name + ".cv4");
      std::vector<std::string> parts{x1};
      for (size_t i = 0; i < sc->m->size(); ++i) {
        parts.push_back(max_pool(*sc->m->ptr<torch::nn::MaxPool2dImpl>(i), x1,
                                 name + ".m" + std::to_string(i)));
      }
      const auto y1 = conv_block(
          *sc->cv6, conv_block(*sc->cv5, concat(parts, 1, name + ".cat1"), name + ".cv5"),
          name + ".cv6");
      const auto y2 = conv_block(*sc->cv2, x, name + ".cv2");
      return conv_block(*sc->cv7, concat({y1, y2}, 1, name + ".cat2"), name + ".cv7");
    }
    if (auto* rep = dynamic_cast<nn::RepConvImpl*>(&m)) return rep_conv(*rep, x, name);
    if (auto* focus = dynamic_cast<nn::FocusImpl*>(&m)) {
      // Pixel phases (even/odd rows and columns) in ultralytics' order, then the conv.
      std::vector<std::string> phases;
      for (auto [r, c] : {std::pair{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
        phases.push_back(slice_phase(x, r, c, name + ".phase" + std::to_string(phases.size())));
      }
      return conv_block(*focus->conv, concat(phases, 1, name + ".cat"), name + ".conv");
    }
    if (auto* cat = dynamic_cast<nn::ConcatImpl*>(&m))
      return concat(inputs, cat->dimension(), name);
    if (auto* up = dynamic_cast<torch::nn::UpsampleImpl*>(&m)) return upsample(*up, x, name);
    if (auto* mp = dynamic_cast<nn::MPImpl*>(&m)) return max_pool(*mp->m, x, name);
    if (auto* sp = dynamic_cast<nn::SPImpl*>(&m)) return max_pool(*sp->m, x, name);
    if (auto* pool = dynamic_cast<torch::nn::MaxPool2dImpl*>(&m)) return max_pool(*pool, x, name);
    TORCH_CHECK(false, "ONNX export: no exporter for module ", m.name(), " (", name, ")");
  }

  std::string concat(const std::vector<std::string>& inputs, int64_t axis,
                     const std::string& name) {
    return g_.add("Concat", name, inputs, {{"axis", axis}});
  }

 private:
  std::string conv_weight(const quant::ConvQuantizerImpl* hook, const torch::Tensor& w,
                          const torch::Tensor& k, const std::string& name) {
    const auto quantizer = hook ? hook->weight_quantizer() : nullptr;
    const int64_t out = w.size(0);
    const auto per_channel = [&](const torch::Tensor& s) {
      return s.detach().cpu().to(torch::kFloat).expand({out}).contiguous();
    };
    if (auto lsq = std::dynamic_pointer_cast<quant::LsqQuantizerImpl>(quantizer)) {
      TORCH_CHECK(lsq->initialized(), "ONNX export: weight quantizer of ", name,
                  " was never initialised");
      const auto q = hook->weight_integers(w).to(torch::kChar);
      const auto scale = per_channel(lsq->step) * k;
      const auto deq = dequantize(q, scale, name + ".weight", lsq->spec());
      if (!lsq->offset.defined()) return deq;
      const auto offset = (per_channel(lsq->offset) * k).view({out, 1, 1, 1});
      return g_.add("Add", name + ".weight_offset",
                    {deq, g_.add_initializer(name + ".weight_offset_value", offset)});
    }
    if (auto bin = std::dynamic_pointer_cast<quant::BinaryWeightQuantizerImpl>(quantizer)) {
      const auto q = quant::binary_sign(w).to(torch::kChar);
      return dequantize(q, per_channel(bin->scale) * k, name + ".weight", bin->spec());
    }
    TORCH_CHECK(!quantizer, "ONNX export: unsupported weight quantizer at ", name);
    return g_.add_initializer(name + ".weight", w * k.view({out, 1, 1, 1}));
  }

  // Integer weights (int8 container) and a per-output-channel scale -> DequantizeLinear.
  std::string dequantize(const torch::Tensor& q, const torch::Tensor& scale,
                         const std::string& name, const quant::QuantSpec& spec) {
    const auto out =
        g_.add("DequantizeLinear", name + ".dq",
               {g_.add_initializer(name + ".int", q), g_.add_initializer(name + ".scale", scale),
                g_.add_initializer(name + ".zero_point", torch::zeros({q.size(0)}, torch::kChar))},
               {{"axis", int64_t{0}}});
    g_.set_node_doc(name + ".dq", describe(spec));
    return out;
  }

  std::string activation_quantizer(quant::QuantizerImpl& quantizer, const std::string& x,
                                   const std::string& name) {
    TORCH_CHECK(quantizer.initialized(), "ONNX export: input quantizer of ", name,
                " was never calibrated");
    if (auto* lsq = dynamic_cast<quant::LsqQuantizerImpl*>(&quantizer)) {
      const float s = lsq->step.detach().cpu().item<float>();
      const auto range = lsq->range();
      std::string v = x;
      if (lsq->offset.defined()) {
        v = g_.add("Sub", name + ".in_offset",
                   {x, g_.add_initializer(name + ".in_offset_value",
                                          lsq->offset.detach().cpu().reshape({}))});
      }
      // Clip keeps the values inside the trained bit width; the 8-bit container alone would not.
      v = g_.add(
          "Clip", name + ".in_clip",
          {v, g_.add_initializer(name + ".in_min", scalar(static_cast<float>(range.qmin) * s)),
           g_.add_initializer(name + ".in_max", scalar(static_cast<float>(range.qmax) * s))});
      const auto zp =
          range.qmin < 0 ? torch::zeros({}, torch::kChar) : torch::zeros({}, torch::kByte);
      const auto scale = g_.add_initializer(name + ".in_scale", scalar(s));
      const auto zero = g_.add_initializer(name + ".in_zero_point", zp);
      const auto q = g_.add("QuantizeLinear", name + ".in_q", {v, scale, zero});
      auto y = g_.add("DequantizeLinear", name + ".in_dq", {q, scale, zero});
      g_.set_node_doc(name + ".in_q", describe(lsq->spec()));
      g_.set_node_doc(name + ".in_dq", describe(lsq->spec()));
      if (lsq->offset.defined())
        y = g_.add("Add", name + ".in_offset_back", {y, name + ".in_offset_value"});
      return y;
    }
    if (auto* bin = dynamic_cast<quant::BinaryActivationQuantizerImpl*>(&quantizer)) {
      const auto shift = bin->shift.detach().cpu().view({1, -1, 1, 1});
      const float a = bin->scale.detach().cpu().item<float>();
      const auto d = g_.add("Sub", name + ".bin_shift",
                            {x, g_.add_initializer(name + ".bin_shift_value", shift)});
      const auto ge = g_.add("GreaterOrEqual", name + ".bin_sign",
                             {d, g_.add_initializer(name + ".bin_zero", scalar(0.f))});
      const auto out = g_.add("Where", name + ".bin_act",
                              {ge, g_.add_initializer(name + ".bin_pos", scalar(a)),
                               g_.add_initializer(name + ".bin_neg", scalar(-a))});
      g_.set_node_doc(name + ".bin_act", describe(bin->spec()));
      return out;
    }
    TORCH_CHECK(false, "ONNX export: unsupported input quantizer at ", name);
  }

  static std::string describe(const quant::QuantSpec& spec) {
    std::ostringstream s;
    s << "qyolo: bits=" << spec.effective_bits() << " kind=" << quant::to_string(spec.kind)
      << " signed=" << (spec.is_signed ? 1 : 0);
    return s.str();
  }

  std::string max_pool(torch::nn::MaxPool2dImpl& pool, const std::string& x,
                       const std::string& name) {
    const auto& o = pool.options;
    const int64_t k = (*o.kernel_size())[0], s = (*o.stride())[0], p = (*o.padding())[0];
    return g_.add(
        "MaxPool", name, {x},
        {{"kernel_shape", ints({k, k})}, {"strides", ints({s, s})}, {"pads", ints({p, p, p, p})}});
  }

  std::string upsample(torch::nn::UpsampleImpl& up, const std::string& x, const std::string& name) {
    const auto& sf = up.options.scale_factor();
    TORCH_CHECK(sf.has_value(), "ONNX export: Upsample without scale_factor at ", name);
    const float f = static_cast<float>((*sf)[0]);
    return g_.add("Resize", name,
                  {x, "", g_.add_initializer(name + ".scales", torch::tensor({1.f, 1.f, f, f}))},
                  {{"mode", std::string("nearest")},
                   {"coordinate_transformation_mode", std::string("asymmetric")},
                   {"nearest_mode", std::string("floor")}});
  }

  std::string slice_phase(const std::string& x, int64_t row, int64_t col, const std::string& name) {
    const int64_t big = std::numeric_limits<int64_t>::max();
    return g_.add("Slice", name,
                  {x, g_.add_initializer(name + ".starts", torch::tensor({row, col})),
                   g_.add_initializer(name + ".ends", torch::tensor({big, big})),
                   g_.add_initializer(name + ".axes", torch::tensor({int64_t{2}, int64_t{3}})),
                   g_.add_initializer(name + ".steps", torch::tensor({int64_t{2}, int64_t{2}}))});
  }

  std::string rep_conv(nn::RepConvImpl& rep, const std::string& x, const std::string& name) {
    auto branch = [&](torch::nn::Sequential& seq, const std::string& n) {
      const auto children = seq->children();
      auto* conv2d = dynamic_cast<nn::Conv2dImpl*>(children.at(0).get());
      auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(children.at(1).get());
      TORCH_CHECK(conv2d && bn, "ONNX export: unexpected RepConv branch at ", n);
      return conv(*conv2d, bn, x, n);
    };
    std::string sum = g_.add(
        "Add", name + ".sum",
        {branch(rep.rbr_dense, name + ".rbr_dense"), branch(rep.rbr_1x1, name + ".rbr_1x1")});
    if (rep.rbr_identity) {
      auto& bn = *rep.rbr_identity;
      const auto k =
          bn.weight.detach().cpu() / torch::sqrt(bn.running_var.detach().cpu() + bn.options.eps());
      const auto b = bn.bias.detach().cpu() - bn.running_mean.detach().cpu() * k;
      const auto id =
          g_.add("Add", name + ".id_shift",
                 {g_.add("Mul", name + ".id_scale",
                         {x, g_.add_initializer(name + ".id_k", k.view({1, -1, 1, 1}))}),
                  g_.add_initializer(name + ".id_b", b.view({1, -1, 1, 1}))});
      sum = g_.add("Add", name + ".sum_id", {sum, id});
    }
    return activation(rep.act, sum, name);
  }

  OnnxGraph& g_;
  OnnxExportSummary& summary_;
  // (input tensor name, quantizer) -> the dequantized tensor's name
  std::map<std::pair<std::string, const void*>, std::string> quantized_inputs_;
};

// The decode of one head level, as DetectImpl/SegmentImpl/IDetectImpl::decode computes it.
std::string decode_level(OnnxGraph& g, const nn::ModelImpl& model, int64_t level,
                         const std::string& logits, int64_t ny, int64_t nx,
                         const torch::Tensor& anchor_px, const std::string& name) {
  const int64_t na = model.na(), no = model.no(), nc = model.nc(), nm = model.nm();
  const float stride = model.stride()[level].item<float>();
  const auto raw = g.add(
      "Transpose", name + ".permute",
      {g.add("Reshape", name + ".view",
             {logits,
              g.add_initializer(name + ".shape5", torch::tensor({int64_t{-1}, na, no, ny, nx}))})},
      {{"perm", ints({0, 1, 3, 4, 2})}});
  std::vector<int64_t> sizes =
      nm > 0 ? std::vector<int64_t>{2, 2, nc + 1, nm} : std::vector<int64_t>{2, 2, no - 4};
  const auto parts = g.add_node("Split", name + ".split",
                                {nm > 0 ? raw : g.add("Sigmoid", name + ".sigmoid", {raw}),
                                 g.add_initializer(name + ".split_sizes", torch::tensor(sizes))},
                                static_cast<int>(sizes.size()), {{"axis", int64_t{4}}});
  auto sig = [&](size_t i) {
    return nm > 0 ? g.add("Sigmoid", name + ".sigmoid" + std::to_string(i), {parts[i]}) : parts[i];
  };
  const auto ys = torch::arange(ny, torch::kFloat), xs = torch::arange(nx, torch::kFloat);
  const auto yx = torch::meshgrid({ys, xs}, "ij");
  const auto grid = (torch::stack({yx[1], yx[0]}, 2).view({1, 1, ny, nx, 2}) - 0.5f) * stride;
  const auto xy =
      g.add("Add", name + ".xy",
            {g.add("Mul", name + ".xy2",
                   {sig(0), g.add_initializer(name + ".two_stride", scalar(2.f * stride))}),
             g.add_initializer(name + ".grid", grid)});
  const auto s1 = sig(1);
  const auto wh =
      g.add("Mul", name + ".wh",
            {g.add("Mul", name + ".wh2", {s1, s1}),
             g.add_initializer(name + ".anchor4", (anchor_px * 4.f).view({1, na, 1, 1, 2}))});
  std::vector<std::string> cat{xy, wh, sig(2)};
  if (nm > 0) cat.push_back(parts[3]);
  const auto joined = g.add("Concat", name + ".cat", cat, {{"axis", int64_t{4}}});
  return g.add("Reshape", name + ".flat",
               {joined, g.add_initializer(name + ".shape3",
                                          torch::tensor({int64_t{-1}, na * ny * nx, no}))});
}

void append_nms(OnnxGraph& g, const nn::ModelImpl& model, const std::string& predictions,
                const OnnxExportOptions& o) {
  const int64_t nc = model.nc();
  // boxes (bs,N,4) as cx,cy,w,h; scores (bs,nc,N) = obj·cls.
  std::vector<int64_t> sizes{4, 1, nc};
  if (model.nm() > 0) sizes.push_back(model.nm());
  const auto parts =
      g.add_node("Split", "nms.split",
                 {predictions, g.add_initializer("nms.split_sizes", torch::tensor(sizes))},
                 static_cast<int>(sizes.size()), {{"axis", int64_t{2}}});
  const auto scores =
      g.add("Transpose", "nms.scores_t", {g.add("Mul", "nms.conf", {parts[2], parts[1]})},
            {{"perm", ints({0, 2, 1})}});
  const auto selected =
      g.add("NonMaxSuppression", "nms",
            {parts[0], scores, g.add_initializer("nms.max_per_class", torch::tensor({o.max_det()})),
             g.add_initializer("nms.iou", torch::tensor({static_cast<float>(o.iou_thres())})),
             g.add_initializer("nms.score", torch::tensor({static_cast<float>(o.conf_thres())}))},
            {{"center_point_box", int64_t{1}}});
  // xyxy boxes gathered by (batch, box); scores by (batch, class, box).
  const auto half =
      g.add("Mul", "nms.half_wh",
            {g.add("Slice", "nms.wh",
                   {parts[0], g.add_initializer("nms.s2", torch::tensor({int64_t{2}})),
                    g.add_initializer("nms.e4", torch::tensor({int64_t{4}})),
                    g.add_initializer("nms.a2", torch::tensor({int64_t{2}}))}),
             g.add_initializer("nms.half", scalar(0.5f))});
  const auto cxy = g.add(
      "Slice", "nms.cxy",
      {parts[0], g.add_initializer("nms.s0", torch::tensor({int64_t{0}})), "nms.s2", "nms.a2"});
  const auto xyxy =
      g.add("Concat", "nms.xyxy",
            {g.add("Sub", "nms.x1y1", {cxy, half}), g.add("Add", "nms.x2y2", {cxy, half})},
            {{"axis", int64_t{2}}});
  const auto batch_box =
      g.add("Gather", "nms.batch_box",
            {selected, g.add_initializer("nms.idx02", torch::tensor({int64_t{0}, int64_t{2}}))},
            {{"axis", int64_t{1}}});
  const auto boxes = g.add("GatherND", "nms.boxes", {xyxy, batch_box});
  const auto score = g.add("Unsqueeze", "nms.score_col",
                           {g.add("GatherND", "nms.scores", {scores, selected}),
                            g.add_initializer("nms.ax1", torch::tensor({int64_t{1}}))});
  const auto batch_class = g.add(
      "Cast", "nms.batch_class_f",
      {g.add("Gather", "nms.batch_class",
             {selected, g.add_initializer("nms.idx01", torch::tensor({int64_t{0}, int64_t{1}}))},
             {{"axis", int64_t{1}}})},
      {{"to", int64_t{1}}});
  const auto batch = g.add(
      "Slice", "nms.batch",
      {batch_class, "nms.s0", g.add_initializer("nms.e1", torch::tensor({int64_t{1}})), "nms.ax1"});
  const auto cls = g.add("Slice", "nms.class", {batch_class, "nms.e1", "nms.s2", "nms.ax1"});
  g.add_node("Concat", "nms.detections", {batch, boxes, score, cls}, 1, {{"axis", int64_t{1}}},
             {"detections"});
  g.add_output("detections", {-1, 7}, {"num_detections", ""});
}

}  // namespace

OnnxExportSummary export_onnx(nn::ModelImpl& model, const OnnxExportOptions& o,
                              const std::filesystem::path& path) {
  if (o.opset() < 13 || o.opset() > 17) {
    throw UsageError("--opset " + std::to_string(o.opset()) + ": qyolo exports opset 13 to 17");
  }
  nn::check_image_size(o.imgsz(), model.max_stride(), "--img");
  torch::NoGradGuard no_grad;
  model.eval();
  const auto sites = model.conv_sites();
  for (const auto& q : quant::conv_quantizers(sites)) {
    if (q && q->has_correction()) {
      quant::fold_correction(sites);
      break;
    }
  }

  OnnxExportSummary summary;
  OnnxGraph g("qyolo", o.opset());
  Emitter emit(g, summary);
  const int64_t batch = o.dynamic() ? -1 : o.batch();
  g.add_input("images", {batch, model.input_channels(), o.imgsz(), o.imgsz()},
              {"batch", "", "", ""});

  auto layers_list = model.named_children();
  torch::nn::ModuleList layers{nullptr};
  for (const auto& item : layers_list) {
    if (item.key() == "model")
      layers =
          torch::nn::ModuleList(std::dynamic_pointer_cast<torch::nn::ModuleListImpl>(item.value()));
  }
  TORCH_CHECK(layers, "ONNX export: the model has no layer list");
  const auto& infos = model.layers();
  std::vector<std::string> outputs;
  auto source = [&](int i, int from) {
    return from < 0 ? (i + from < 0 ? std::string("images") : outputs[i + from]) : outputs[from];
  };
  for (size_t i = 0; i + 1 < infos.size(); ++i) {
    std::vector<std::string> inputs;
    for (int f : infos[i].from) inputs.push_back(source(static_cast<int>(i), f));
    outputs.push_back(emit.module(*layers[i], inputs, "model." + std::to_string(i)));
  }

  // The head: output convs (with yolov7's implicit terms) and the decode, level by level.
  const int li = static_cast<int>(infos.size()) - 1;
  auto& head = model.head();
  const std::string hname = "model." + std::to_string(li);
  std::map<std::string, std::shared_ptr<Module>> head_parts;
  for (const auto& item : head.named_children()) head_parts[item.key()] = item.value();
  std::map<std::string, torch::Tensor> head_buffers;
  for (const auto& item : head.named_buffers(false)) head_buffers[item.key()] = item.value();
  std::vector<std::string> decoded;
  for (int64_t level = 0; level < model.nl(); ++level) {
    const std::string lname = hname + ".level" + std::to_string(level);
    std::string x = source(li, infos.back().from[level]);
    const bool implicit = model.head_kind() == nn::HeadKind::kIDetect;
    if (implicit) {
      auto ia = std::dynamic_pointer_cast<torch::nn::ModuleListImpl>(head_parts.at("ia"))
                    ->ptr<nn::ImplicitAImpl>(level);
      x = g.add("Add", lname + ".ia",
                {x, g.add_initializer(lname + ".ia_value", ia->implicit.detach().cpu())});
    }
    std::string y =
        emit.conv(*head.output_conv(level), nullptr, x, hname + ".m." + std::to_string(level));
    if (implicit) {
      auto im = std::dynamic_pointer_cast<torch::nn::ModuleListImpl>(head_parts.at("im"))
                    ->ptr<nn::ImplicitMImpl>(level);
      y = g.add("Mul", lname + ".im",
                {y, g.add_initializer(lname + ".im_value", im->implicit.detach().cpu())});
    }
    const int64_t s = static_cast<int64_t>(model.stride()[level].item<float>());
    const torch::Tensor anchor_px =
        implicit ? head_buffers.at("anchor_grid")[level].reshape({-1, 2}).cpu()
                 : (model.anchors()[level] * model.stride()[level]).cpu();
    decoded.push_back(
        decode_level(g, model, level, y, o.imgsz() / s, o.imgsz() / s, anchor_px, lname));
  }
  int64_t n = 0;
  for (int64_t level = 0; level < model.nl(); ++level) {
    const int64_t s = static_cast<int64_t>(model.stride()[level].item<float>());
    n += model.na() * (o.imgsz() / s) * (o.imgsz() / s);
  }
  g.add_node("Concat", hname + ".decoded", decoded, 1, {{"axis", int64_t{1}}}, {"output0"});
  g.add_output("output0", {batch, n, model.no()}, {"batch", "", ""});
  if (model.head_kind() == nn::HeadKind::kSegment) {
    auto proto = std::dynamic_pointer_cast<nn::ProtoImpl>(head_parts.at("proto"));
    const auto p0 = source(li, infos.back().from[0]);
    const auto a = emit.conv_block(*proto->cv1, p0, hname + ".proto.cv1");
    const auto up = g.add(
        "Resize", hname + ".proto.upsample",
        {a, "", g.add_initializer(hname + ".proto.scales", torch::tensor({1.f, 1.f, 2.f, 2.f}))},
        {{"mode", std::string("nearest")},
         {"coordinate_transformation_mode", std::string("asymmetric")},
         {"nearest_mode", std::string("floor")}});
    const auto b = emit.conv_block(
        *proto->cv3, emit.conv_block(*proto->cv2, up, hname + ".proto.cv2"), hname + ".proto.cv3");
    g.add_node("Identity", hname + ".proto.out", {b}, 1, {}, {"output1"});
    const int64_t s0 = static_cast<int64_t>(model.stride()[0].item<float>());
    g.add_output("output1", {batch, model.nm(), 2 * o.imgsz() / s0, 2 * o.imgsz() / s0},
                 {"batch", "", "", ""});
  }
  if (o.include_nms()) append_nms(g, model, "output0", o);

  g.set_metadata("producer", "qyolo");
  g.set_metadata("imgsz", std::to_string(o.imgsz()));
  g.set_metadata("nc", std::to_string(model.nc()));
  g.set_metadata("stride", std::to_string(model.max_stride()));
  g.set_metadata("model_yaml", model.yaml_text());
  const std::string bytes = g.serialize();
  write_file_atomic(path, bytes);
  summary.bytes = static_cast<int64_t>(bytes.size());
  summary.nodes = g.node_count();
  return summary;
}

}  // namespace qyolo::exporter
