#include "qyolo/nn/detect.h"

#include <cmath>

namespace qyolo::nn {

const char* head_kind_name(HeadKind kind) {
  switch (kind) {
    case HeadKind::kDetect:
      return "Detect";
    case HeadKind::kIDetect:
      return "IDetect";
    case HeadKind::kSegment:
      return "Segment";
  }
  return "?";
}

namespace {

torch::Tensor anchor_table(const std::vector<std::vector<double>>& anchors) {
  TORCH_CHECK(!anchors.empty() && !anchors[0].empty() && anchors[0].size() % 2 == 0,
              "Detect needs an even, non-empty anchor list per level");
  std::vector<float> values;
  for (const auto& level : anchors) {
    TORCH_CHECK(level.size() == anchors[0].size(), "every level needs the same anchor count");
    values.insert(values.end(), level.begin(), level.end());
  }
  const auto nl = static_cast<int64_t>(anchors.size());
  return torch::tensor(values).view({nl, -1, 2});
}

}  // namespace

DetectImpl::DetectImpl(const DetectOptions& o, int64_t extra_outputs)
    : nc_(o.nc()),
      no_(o.nc() + 5 + extra_outputs),
      nl_(static_cast<int64_t>(o.anchors().size())),
      na_(static_cast<int64_t>(o.anchors().at(0).size()) / 2) {
  TORCH_CHECK(static_cast<int64_t>(o.ch().size()) == nl_,
              "Detect needs one input per anchor level");
  anchors_ = register_buffer("anchors", anchor_table(o.anchors()));
  m_ = register_module("m", torch::nn::ModuleList());
  for (auto channels : o.ch()) {
    m_->push_back(Conv2d(Conv2dOptions(channels, no_ * na_, 1).bias(true)));
  }
}

torch::Tensor DetectImpl::level_logits(int64_t level, const torch::Tensor& x) {
  return output_conv(level)->forward(x);
}

ModelOutput DetectImpl::forward(std::vector<torch::Tensor> inputs) {
  TORCH_CHECK(static_cast<int64_t>(inputs.size()) == nl_, "Detect expects ", nl_, " inputs, got ",
              inputs.size());
  ModelOutput out;
  out.proto = prototypes(inputs[0]);
  std::vector<torch::Tensor> decoded;
  for (int64_t i = 0; i < nl_; ++i) {
    auto y = level_logits(i, inputs[i]);
    const auto bs = y.size(0), ny = y.size(2), nx = y.size(3);
    auto raw = y.view({bs, na_, no_, ny, nx}).permute({0, 1, 3, 4, 2}).contiguous();
    if (!is_training()) decoded.push_back(decode(i, raw));
    out.raw.push_back(std::move(raw));
  }
  if (!is_training()) out.decoded = torch::cat(decoded, 1);
  return out;
}

torch::Tensor DetectImpl::cell_grid(int64_t ny, int64_t nx,
                                    const torch::TensorOptions& options) const {
  auto ys = torch::arange(ny, options);
  auto xs = torch::arange(nx, options);
  auto yx = torch::meshgrid({ys, xs}, "ij");
  return torch::stack({yx[1], yx[0]}, 2).view({1, 1, ny, nx, 2});
}

torch::Tensor DetectImpl::anchor_pixels(int64_t level) const {
  return (anchors_[level] * stride_[level].to(anchors_.device())).view({1, na_, 1, 1, 2});
}

torch::Tensor DetectImpl::decode(int64_t level, const torch::Tensor& raw) {
  TORCH_CHECK(stride_.defined(), "Detect strides are not set");
  const auto bs = raw.size(0), ny = raw.size(2), nx = raw.size(3);
  // ultralytics folds the -0.5 of xy = 2·s - 0.5 + cell into the grid.
  const auto grid = cell_grid(ny, nx, raw.options()) - 0.5;
  const auto stride = stride_[level].item<double>();
  auto s = raw.sigmoid();
  auto parts = s.split_with_sizes({2, 2, no_ - 4}, 4);
  auto xy = (parts[0] * 2 + grid) * stride;
  auto wh = (parts[1] * 2).pow(2) * anchor_pixels(level).to(raw.options());
  return torch::cat({xy, wh, parts[2]}, 4).view({bs, na_ * ny * nx, no_});
}

void DetectImpl::store_pixel_anchors() {
  torch::NoGradGuard no_grad;
  // check_anchor_order: anchor areas must grow with the stride.
  auto area = anchors_.prod(-1).mean(-1).view(-1);
  const auto da = (area[-1] - area[0]).item<double>();
  const auto ds = (stride_[-1] - stride_[0]).item<double>();
  if (da != 0 && ((da > 0) != (ds > 0))) anchors_.copy_(anchors_.flip(0));
  anchors_.div_(stride_.to(anchors_.device()).view({-1, 1, 1}));
}

void DetectImpl::set_strides(const torch::Tensor& stride) {
  stride_ = stride.to(torch::kFloat).cpu();
  store_pixel_anchors();
  initialize_biases();
}

void DetectImpl::set_anchors(const torch::Tensor& pixels) {
  TORCH_CHECK(stride_.defined(), "Detect strides are not set");
  TORCH_CHECK(pixels.sizes() == anchors_.sizes(), "set_anchors: expected ", anchors_.sizes(),
              " pixel anchors, got ", pixels.sizes());
  torch::NoGradGuard no_grad;
  anchors_.copy_(pixels);
  store_pixel_anchors();
}

void DetectImpl::initialize_biases() {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < nl_; ++i) {
    auto b = output_conv(i)->bias.view({na_, -1});
    const auto s = stride_[i].item<double>();
    b.select(1, 4).add_(std::log(8.0 / std::pow(640.0 / s, 2)));  // ~8 objects per 640 image
    b.narrow(1, 5, nc_).add_(std::log(0.6 / (static_cast<double>(nc_) - 0.99999)));
  }
}

SegmentImpl::SegmentImpl(const DetectOptions& options, int64_t nm, int64_t npr, Activation act)
    : DetectImpl(options, nm), nm_(nm), npr_(npr) {
  proto_ = register_module("proto", Proto(options.ch().at(0), npr, nm, std::move(act)));
}

torch::Tensor SegmentImpl::decode(int64_t level, const torch::Tensor& raw) {
  TORCH_CHECK(stride_.defined(), "Segment strides are not set");
  const auto bs = raw.size(0), ny = raw.size(2), nx = raw.size(3);
  // ultralytics folds the -0.5 of xy = 2·s - 0.5 + cell into the grid.
  const auto grid = cell_grid(ny, nx, raw.options()) - 0.5;
  const auto stride = stride_[level].item<double>();
  auto parts = raw.split_with_sizes({2, 2, nc_ + 1, nm_}, 4);
  auto xy = (parts[0].sigmoid() * 2 + grid) * stride;
  auto wh = (parts[1].sigmoid() * 2).pow(2) * anchor_pixels(level).to(raw.options());
  return torch::cat({xy, wh, parts[2].sigmoid(), parts[3]}, 4).view({bs, na_ * ny * nx, no_});
}

IDetectImpl::IDetectImpl(const DetectOptions& o) : DetectImpl(o, 0) {
  anchor_grid_ = register_buffer("anchor_grid", anchors_.clone().view({nl_, 1, na_, 1, 1, 2}));
  ia_ = register_module("ia", torch::nn::ModuleList());
  im_ = register_module("im", torch::nn::ModuleList());
  for (auto channels : o.ch()) ia_->push_back(ImplicitA(channels));
  for (size_t i = 0; i < o.ch().size(); ++i) im_->push_back(ImplicitM(no_ * na_));
}

void IDetectImpl::set_anchors(const torch::Tensor& pixels) {
  DetectImpl::set_anchors(pixels);
  torch::NoGradGuard no_grad;
  const auto stride = stride_.to(anchors_.device()).view({-1, 1, 1});
  anchor_grid_.copy_((anchors_ * stride).view_as(anchor_grid_));
}

torch::Tensor IDetectImpl::level_logits(int64_t level, const torch::Tensor& x) {
  auto shifted = ia_->ptr<ImplicitAImpl>(level)->forward(x);
  return im_->ptr<ImplicitMImpl>(level)->forward(output_conv(level)->forward(shifted));
}

torch::Tensor IDetectImpl::decode(int64_t level, const torch::Tensor& raw) {
  TORCH_CHECK(stride_.defined(), "IDetect strides are not set");
  const auto bs = raw.size(0), ny = raw.size(2), nx = raw.size(3);
  // yolov7 keeps the -0.5 in the formula and decodes with its own pixel-anchor buffer.
  const auto grid = cell_grid(ny, nx, raw.options());
  const auto stride = stride_[level].item<double>();
  auto s = raw.sigmoid();
  auto parts = s.split_with_sizes({2, 2, no_ - 4}, 4);
  auto xy = (parts[0] * 2.0 - 0.5 + grid) * stride;
  auto wh = (parts[1] * 2).pow(2) * anchor_grid_[level].to(raw.options());
  return torch::cat({xy, wh, parts[2]}, 4).view({bs, na_ * ny * nx, no_});
}

void IDetectImpl::initialize_biases() {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < nl_; ++i) {
    auto b = output_conv(i)->bias.view({na_, -1});
    const auto s = stride_[i].item<double>();
    b.select(1, 4).add_(std::log(8.0 / std::pow(640.0 / s, 2)));
    b.narrow(1, 5, no_ - 5).add_(std::log(0.6 / (static_cast<double>(nc_) - 0.99)));
  }
}

}  // namespace qyolo::nn
