// Detection confusion matrix as ultralytics keeps it: rows = predicted class, columns = true
// class, with an extra background row/column for misses and false detections.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace qyolo::eval {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes, double conf_thres = 0.25, double iou_thres = 0.45);

  // detections (N,6) x1,y1,x2,y2,conf,cls or nullopt when the image has no predictions;
  // labels (M,5) cls,x1,y1,x2,y2. Every class must be in [0, num_classes) (TORCH_CHECK).
  void process_batch(const std::optional<torch::Tensor>& detections, const torch::Tensor& labels);

  // (nc+1, nc+1) float64 counts.
  const torch::Tensor& matrix() const { return matrix_; }
  int64_t num_classes() const { return num_classes_; }

  // Per-class true and false positives (background excluded).
  std::pair<torch::Tensor, torch::Tensor> tp_fp() const;

  // Each column divided by its sum (+1e-9), the normalisation of the plot.
  torch::Tensor normalized() const;

 private:
  int64_t checked_class(float value, const char* what) const;

  int64_t num_classes_;
  double conf_thres_, iou_thres_;
  torch::Tensor matrix_;
};

}  // namespace qyolo::eval
