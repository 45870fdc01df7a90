// Detection heads: ultralytics Detect and Segment, yolov7 IDetect.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "qyolo/nn/conv2d.h"
#include "qyolo/nn/implicit.h"
#include "qyolo/nn/proto.h"

namespace qyolo::nn {

enum class HeadKind { kDetect, kIDetect, kSegment };
const char* head_kind_name(HeadKind kind);

// What a model returns. `raw` always holds the nl head maps (bs,na,ny,nx,no) of pre-sigmoid
// logits; `decoded` is defined in eval mode only: (bs,N,no) = cx,cy,w,h in input pixels,
// objectness, class probabilities [, raw mask coefficients], N = na·Σ ny·nx in level, anchor,
// y, x order; `proto` (bs,nm,2·ny0,2·nx0) only for Segment heads.
struct ModelOutput {
  torch::Tensor decoded;
  std::vector<torch::Tensor> raw;
  torch::Tensor proto;
};

struct DetectOptions {
  DetectOptions(int64_t nc, std::vector<std::vector<double>> anchors, std::vector<int64_t> ch)
      : nc_(nc), anchors_(std::move(anchors)), ch_(std::move(ch)) {}
  TORCH_ARG(int64_t, nc);
  TORCH_ARG(std::vector<std::vector<double>>, anchors);  // per level: w0,h0,w1,h1,... pixels
  TORCH_ARG(std::vector<int64_t>, ch);                   // input channels per level
};

// ultralytics Detect: per level a 1x1 nn::Conv2d "m.<i>" with bias producing na·no channels,
// and the buffer "anchors" (nl,na,2): pixels at construction, grid units after set_strides.
class DetectImpl : public torch::nn::Module {
 public:
  explicit DetectImpl(const DetectOptions& options) : DetectImpl(options, 0) {}

  ModelOutput forward(std::vector<torch::Tensor> inputs);

  virtual HeadKind kind() const { return HeadKind::kDetect; }
  int64_t nc() const { return nc_; }
  int64_t na() const { return na_; }
  int64_t nl() const { return nl_; }
  int64_t no() const { return no_; }
  virtual int64_t nm() const { return 0; }
  virtual int64_t npr() const { return 0; }
  // (nl,) float strides; undefined until set_strides.
  const torch::Tensor& stride() const { return stride_; }
  const torch::Tensor& anchors() const { return anchors_; }
  Conv2d output_conv(int64_t level) const { return Conv2d(m_->ptr<Conv2dImpl>(level)); }

  // Called once by the model after its stride probe: stores the strides, orders the anchors
  // like the strides (check_anchor_order), converts them to grid units and sets the prior
  // objectness/class biases (_initialize_biases).
  void set_strides(const torch::Tensor& stride);
  // Replaces the anchors by (nl,na,2) pixel anchors (AutoAnchor), ordered and converted to grid
  // units as set_strides does with the yaml's.
  virtual void set_anchors(const torch::Tensor& pixels);

 protected:
  DetectImpl(const DetectOptions& options, int64_t extra_outputs);
  // Level input -> conv output (bs, na·no, ny, nx); IDetect adds its implicit terms here.
  virtual torch::Tensor level_logits(int64_t level, const torch::Tensor& x);
  // Raw level map (bs,na,ny,nx,no) -> decoded (bs,na·ny·nx,no).
  virtual torch::Tensor decode(int64_t level, const torch::Tensor& raw);
  virtual void initialize_biases();
  // Prototype masks from the first level input (Segment), else undefined.
  virtual torch::Tensor prototypes(const torch::Tensor& /*level0*/) { return {}; }
  // Cell indices (x,y) as (1,1,ny,nx,2) and pixel anchors (1,na,1,1,2), like _make_grid.
  torch::Tensor cell_grid(int64_t ny, int64_t nx, const torch::TensorOptions& options) const;
  torch::Tensor anchor_pixels(int64_t level) const;
  // check_anchor_order on the pixel anchors in anchors_, then their conversion to grid units.
  void store_pixel_anchors();

  int64_t nc_, no_, nl_, na_;
  torch::Tensor anchors_;
  torch::Tensor stride_;
  torch::nn::ModuleList m_{nullptr};
};
TORCH_MODULE(Detect);

// ultralytics Segment: Detect with nm raw mask coefficients per anchor, and a Proto "proto"
// on the first level input producing nm prototype masks at twice its resolution.
class SegmentImpl : public DetectImpl {
 public:
  // `act` is the activation of the Proto convs (empty: SiLU each).
  SegmentImpl(const DetectOptions& options, int64_t nm, int64_t npr, Activation act = {});
  HeadKind kind() const override { return HeadKind::kSegment; }
  int64_t nm() const override { return nm_; }
  int64_t npr() const override { return npr_; }
  Proto proto() const { return proto_; }

 protected:
  torch::Tensor decode(int64_t level, const torch::Tensor& raw) override;
  torch::Tensor prototypes(const torch::Tensor& level0) override { return proto_->forward(level0); }

 private:
  int64_t nm_, npr_;
  Proto proto_{nullptr};
};
TORCH_MODULE(Segment);

// yolov7 IDetect: Detect plus ImplicitA "ia.<i>" before and ImplicitM "im.<i>" after each
// output conv, and the buffer "anchor_grid" (nl,1,na,1,1,2) of pixel anchors used to decode.
class IDetectImpl : public DetectImpl {
 public:
  explicit IDetectImpl(const DetectOptions& options);
  HeadKind kind() const override { return HeadKind::kIDetect; }
  // Also the decoding buffer anchor_grid, as yolov7's check_anchors.
  void set_anchors(const torch::Tensor& pixels) override;

 protected:
  torch::Tensor level_logits(int64_t level, const torch::Tensor& x) override;
  torch::Tensor decode(int64_t level, const torch::Tensor& raw) override;
  void initialize_biases() override;

 private:
  torch::Tensor anchor_grid_;
  torch::nn::ModuleList ia_{nullptr}, im_{nullptr};
};
TORCH_MODULE(IDetect);

}  // namespace qyolo::nn
