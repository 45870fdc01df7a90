#include "qyolo/quant/calibration.h"

#include "qyolo/quant/policy.h"

namespace qyolo::quant {

int calibrate_activations(const std::vector<nn::ConvSite>& sites, int max_batches, ActInit method,
                          const std::function<bool()>& run_next_batch) {
  std::vector<std::shared_ptr<QuantizerImpl>> observing;
  for (const auto& quantizer : conv_quantizers(sites)) {
    const auto& input = quantizer->input_quantizer();
    // A shared quantizer is observed through its source conv.
    if (input && quantizer->input_source().empty() && !input->initialized()) {
      input->start_observing();
      observing.push_back(input);
    }
  }
  if (observing.empty()) return 0;
  for (int batch = 0; batch < max_batches && run_next_batch(); ++batch) {
  }
  int initialized = 0;
  for (const auto& quantizer : observing) {
    quantizer->finish_observing(method);
    initialized += quantizer->initialized() ? 1 : 0;
  }
  return initialized;
}

}  // namespace qyolo::quant
