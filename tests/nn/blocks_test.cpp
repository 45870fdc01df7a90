// Block semantics that the model-level tests do not pin down.
#include <gtest/gtest.h>

#include "qyolo/nn/csp.h"
#include "qyolo/nn/focus.h"
#include "qyolo/nn/rep_conv.h"
#include "qyolo/nn/spp.h"

namespace qyolo::nn {
namespace {

TEST(Blocks, SppfEqualsSppWithTheSameWeights) {
  SPP spp(SPPOptions(16, 24, {5, 9, 13}));
  SPPF sppf(SPPFOptions(16, 24, 5));
  spp->eval();
  sppf->eval();
  {
    torch::NoGradGuard no_grad;
    sppf->cv1->conv->weight.copy_(spp->cv1->conv->weight);
    sppf->cv2->conv->weight.copy_(spp->cv2->conv->weight);
  }
  const auto x = torch::randn({2, 16, 13, 11});
  EXPECT_TRUE(torch::allclose(spp->forward(x), sppf->forward(x), 1e-5, 1e-6));
}

TEST(Blocks, BottleneckAddsTheInputOnlyWhenShapesAllow) {
  EXPECT_TRUE(Bottleneck(BottleneckOptions(8, 8))->add);
  EXPECT_FALSE(Bottleneck(BottleneckOptions(8, 8).shortcut(false))->add);
  EXPECT_FALSE(Bottleneck(BottleneckOptions(8, 16))->add);
  C3 c3(C3Options(8, 16, 2));
  EXPECT_EQ(c3->m->size(), 2u);
  EXPECT_EQ(c3->forward(torch::randn({1, 8, 6, 6})).sizes(), (std::vector<int64_t>{1, 16, 6, 6}));
}

TEST(Blocks, RepConvIdentityBranchOnlyForSameShape) {
  EXPECT_TRUE(RepConv(ConvOptions(8, 8, 3, 1))->rbr_identity);
  EXPECT_FALSE(RepConv(ConvOptions(8, 16, 3, 1))->rbr_identity);
  EXPECT_FALSE(RepConv(ConvOptions(8, 8, 3, 2))->rbr_identity);
  RepConv rep(ConvOptions(8, 8, 3, 1));
  rep->eval();
  const auto x = torch::randn({1, 8, 5, 5});
  const auto expected = torch::silu(rep->rbr_dense->forward(x) + rep->rbr_1x1->forward(x) +
                                    rep->rbr_identity->forward(x));
  EXPECT_TRUE(torch::allclose(rep->forward(x), expected));
}

TEST(Blocks, FocusStacksPixelPhasesInReferenceOrder) {
  Focus focus(ConvOptions(1, 8, 1).act(make_identity()));
  EXPECT_EQ(focus->conv->conv->weight.size(1), 4);
  focus->eval();
  // Read each phase channel back through a one-hot 1x1 conv.
  {
    torch::NoGradGuard no_grad;
    focus->conv->conv->weight.zero_();
    for (int c = 0; c < 4; ++c) focus->conv->conv->weight[c][c] = 1;
    focus->conv->bn->running_var.fill_(1 - 1e-3);  // BN(x) == x with eps 1e-3
  }
  const auto x = torch::arange(16, torch::kFloat).view({1, 1, 4, 4});
  const auto y = focus->forward(x);
  EXPECT_EQ(y[0][0][0][1].item<float>(), 2);   // rows even, cols even: x[0][2]
  EXPECT_EQ(y[0][1][0][0].item<float>(), 4);   // rows odd, cols even: x[1][0]
  EXPECT_EQ(y[0][2][0][0].item<float>(), 1);   // rows even, cols odd: x[0][1]
  EXPECT_EQ(y[0][3][1][1].item<float>(), 15);  // rows odd, cols odd: x[3][3]
}

}  // namespace
}  // namespace qyolo::nn
