#include "qyolo/quant/shared_inputs.h"

#include <gtest/gtest.h>

#include <set>

#include "qyolo/quant/policy.h"
#include "support/test_support.h"
#include "tiny_detector.h"

namespace qyolo::quant {
namespace {

using testing::w4a4;

nn::Model yolov5n() {
  torch::manual_seed(0);
  return nn::Model(test::source_dir() / "configs/models/yolov5n.yaml", 10);
}

std::shared_ptr<ConvQuantizerImpl> quantizer_at(const nn::Model& model, const std::string& path) {
  for (const auto& site : model->conv_sites()) {
    if (site.path == path) return conv_quantizer(site);
  }
  return nullptr;
}

torch::Tensor sum_of_outputs(const nn::ModelOutput& out) {
  auto total = torch::zeros({});
  for (const auto& level : out.raw) total = total + level.sum();
  return total;
}

TEST(SharedInputs, ProbeFindsTheConvsOfC3ThatReadOneTensor) {
  auto model = yolov5n();
  const auto sites = model->conv_sites();
  const auto before = model->state();
  const auto groups = convs_reading_one_tensor(*model, sites);
  std::vector<std::string> listed;
  for (const auto& group : groups) {
    std::string paths;
    for (const auto i : group) paths += (paths.empty() ? "" : " ") + sites[i].path;
    listed.push_back(paths);
  }
  // Each of the eight C3 blocks' cv1 and cv2 read the block's input; P3 and P4 are read by the
  // Detect output conv and the next downsampling conv.
  const std::vector<std::string> expected = {
      "model.2.cv1.conv model.2.cv2.conv",   "model.4.cv1.conv model.4.cv2.conv",
      "model.6.cv1.conv model.6.cv2.conv",   "model.8.cv1.conv model.8.cv2.conv",
      "model.13.cv1.conv model.13.cv2.conv", "model.17.cv1.conv model.17.cv2.conv",
      "model.18.conv model.24.m.0",          "model.20.cv1.conv model.20.cv2.conv",
      "model.21.conv model.24.m.1",          "model.23.cv1.conv model.23.cv2.conv"};
  EXPECT_EQ(listed, expected);
  EXPECT_TRUE(model->is_training());
  for (const auto& [name, value] : model->state()) {
    EXPECT_TRUE(value.equal(before.at(name))) << name << " changed by the probe";
  }
}

TEST(SharedInputs, ReadersOfOneTensorShareOneQuantizerAndItsParametersAppearOnce) {
  auto model = yolov5n();
  quant::apply(*model, Policy(w4a4()));
  const auto cv1 = quantizer_at(model, "model.2.cv1.conv");
  const auto cv2 = quantizer_at(model, "model.2.cv2.conv");
  ASSERT_TRUE(cv1 && cv2);
  EXPECT_EQ(cv2->input_source(), "model.2.cv1.conv");
  EXPECT_TRUE(cv1->input_source().empty());
  EXPECT_EQ(cv1->input_quantizer(), cv2->input_quantizer());
  const auto params = model->named_parameters();
  EXPECT_NE(params.find("model.2.cv1.conv.quant.input_quantizer.step"), nullptr);
  EXPECT_EQ(params.find("model.2.cv2.conv.quant.input_quantizer.step"), nullptr);
  std::set<const void*> distinct;
  for (const auto& p : params) distinct.insert(p.value().unsafeGetTensorImpl());
  EXPECT_EQ(distinct.size(), params.size());  // the optimizer and the EMA see each step once
  // The Detect output conv is 8-bit, the downsampling conv reading P3 with it 4-bit.
  EXPECT_TRUE(quantizer_at(model, "model.24.m.0")->input_source().empty());
  EXPECT_NE(to_string(describe(model->conv_sites())).find("(shared with model.2.cv1.conv)"),
            std::string::npos);
}

TEST(SharedInputs, SpecsThatDifferAreNotShared) {
  auto c = w4a4();
  c.overrides.push_back({"model.2.cv2.conv", 4, 3, "lsq", "lsq_plus"});
  auto model = yolov5n();
  quant::apply(*model, Policy(c));
  EXPECT_TRUE(quantizer_at(model, "model.2.cv2.conv")->input_source().empty());
  EXPECT_EQ(quantizer_at(model, "model.4.cv2.conv")->input_source(), "model.4.cv1.conv");
}

TEST(SharedInputs, ReadersGetTheSameTensorWhileItIsAliveAndARecomputationOtherwise) {
  auto model = yolov5n();
  quant::apply(*model, Policy(w4a4()));
  const auto cv1 = quantizer_at(model, "model.2.cv1.conv");
  const auto cv2 = quantizer_at(model, "model.2.cv2.conv");
  int64_t channels = 0;
  for (const auto& site : model->conv_sites()) {
    if (site.path == "model.2.cv1.conv") channels = site.conv->options().in_channels();
  }
  auto x = torch::randn({2, channels, 8, 8});
  auto q1 = cv1->input(x);
  auto q2 = cv2->input(x);
  EXPECT_TRUE(q1.is_same(q2));  // one fake-quantized copy
  q1 = torch::Tensor();
  q2 = torch::Tensor();
  auto again = cv2->input(x);  // the earlier result is gone: computed anew, equal
  EXPECT_TRUE(again.equal(cv1->input(x)));
  x.add_(1.0);  // the same tensor, modified in place: never the stale result
  auto after = cv1->input(x);
  EXPECT_FALSE(after.is_same(again));
  EXPECT_FALSE(after.equal(again));
}

TEST(SharedInputs, SharingGivesTheOutputsAndStepGradientsOfTwoEqualQuantizers) {
  auto shared = yolov5n();
  auto separate = yolov5n();
  separate->load_weights(shared->state());
  quant::apply(*shared, Policy(w4a4()));
  quant::apply(separate->conv_sites(), Policy(w4a4()));
  ASSERT_TRUE(quantizer_at(separate, "model.2.cv2.conv")->input_source().empty());
  const auto images = torch::rand({2, 3, 64, 64});
  // The first forward initialises every quantizer from its input, so cv1's and cv2's separate
  // quantizers start equal, as the shared one.
  auto out_shared = sum_of_outputs(shared->forward(images));
  auto out_separate = sum_of_outputs(separate->forward(images));
  EXPECT_TRUE(torch::allclose(out_shared, out_separate, 1e-5, 1e-5));
  out_shared.backward();
  out_separate.backward();
  const auto step = [](const nn::Model& m, const std::string& conv) {
    return m->named_parameters()[conv + ".quant.input_quantizer.step"].grad();
  };
  const auto expected = step(separate, "model.2.cv1.conv") + step(separate, "model.2.cv2.conv");
  EXPECT_TRUE(torch::allclose(step(shared, "model.2.cv1.conv"), expected, 1e-4, 1e-6))
      << step(shared, "model.2.cv1.conv") << " vs " << expected;
}

}  // namespace
}  // namespace qyolo::quant
