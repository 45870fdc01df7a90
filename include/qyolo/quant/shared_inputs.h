// Convs that read the same tensor (C3's cv1 and cv2, the branches of an ELAN block, SPPCSPC)
// quantize it once, with one input quantizer.
#pragma once

#include <vector>

#include "qyolo/nn/model.h"

namespace qyolo::quant {

// Indices into `sites` of the convs that read one tensor, for every tensor read by two or more
// convs, ordered by their first index. Found by a forward of a small zero image in eval mode
// with every conv's hook swapped for a recorder, so no quantizer sees the probe; hooks, module
// modes and BN statistics are as before afterwards.
std::vector<std::vector<size_t>> convs_reading_one_tensor(nn::ModelImpl& model,
                                                          const std::vector<nn::ConvSite>& sites);

// Within each group, a conv whose input spec equals an earlier conv's takes that conv's input
// quantizer (ConvQuantizerImpl::share_input_of); convs with fp inputs or other specs keep theirs.
void share_inputs(const std::vector<nn::ConvSite>& sites,
                  const std::vector<std::vector<size_t>>& groups);

}  // namespace qyolo::quant
