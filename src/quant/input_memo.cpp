#include "qyolo/quant/input_memo.h"

namespace qyolo::quant {

torch::Tensor InputMemo::get(const torch::Tensor& x,
                             const std::function<torch::Tensor()>& compute) {
  const bool grad_enabled = torch::GradMode::is_enabled();
  // A live weak pointer means the same object, so comparing addresses is safe.
  const auto input = input_.lock();
  if (input && input.get() == x.unsafeGetTensorImpl() && input_version_ == x._version() &&
      grad_enabled_ == grad_enabled) {
    if (auto output = output_.lock()) return torch::Tensor(std::move(output));
  }
  auto y = compute();
  input_ = WeakTensor(x.getIntrusivePtr());
  output_ = WeakTensor(y.getIntrusivePtr());
  input_version_ = x._version();
  grad_enabled_ = grad_enabled;
  return y;
}

}  // namespace qyolo::quant
