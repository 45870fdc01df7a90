// Malformed model yamls are usage errors that name the file, the line and what is allowed.
#include <gtest/gtest.h>

#include "qyolo/core/error.h"
#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

// A small but complete detector in the ultralytics format; `{row}` is replaced by tests.
std::string tiny_yaml(const std::string& extra_row = "[-1, 1, Conv, [32, 3, 1]]") {
  return "nc: 4\n"
         "depth_multiple: 0.33\n"
         "width_multiple: 0.25\n"
         "anchors: 2\n"
         "backbone:\n"
         "  [[-1, 1, Conv, [32, 3, 2]],\n"
         "   [-1, 1, Conv, [64, 3, 2]],\n"
         "   [-1, 3, C3, [64]],\n"
         "   " +
         extra_row +
         ",\n"
         "   [-1, 1, Conv, [128, 3, 2]],\n"
         "  ]\n"
         "head:\n"
         "  [[-1, 1, SPPF, [128, 5]],\n"
         "   [-1, 1, nn.Upsample, [None, 2, 'nearest']],\n"
         "   [[-1, 3], 1, Concat, [1]],\n"
         "   [[3, 7], 1, Detect, [nc, anchors]],\n"
         "  ]\n";
}

std::string error_of(const std::string& text) {
  try {
    Model model(YamlSource{text, "bad.yaml"});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelYaml, ValidTinyModelBuilds) {
  Model model(YamlSource{tiny_yaml(), "tiny.yaml"});
  EXPECT_EQ(model->nc(), 4);
  EXPECT_EQ(model->na(), 2);
  EXPECT_EQ(model->nl(), 2);
  EXPECT_TRUE(torch::equal(model->stride(), torch::tensor({4.0f, 4.0f})));
  EXPECT_EQ(model->layers()[2].repeats, 1);        // round(3 · 0.33)
  EXPECT_EQ(model->layers()[1].out_channels, 16);  // make_divisible(64 · 0.25, 8)
  // Placeholder anchors 0..2n-1 per level, in grid units after the stride probe.
  EXPECT_TRUE(
      torch::allclose(model->anchors()[0].flatten(), torch::tensor({0.f, 1.f, 2.f, 3.f}) / 4));
  // The stored yaml rebuilds the same model, with nc as built.
  Model rebuilt(YamlSource{model->yaml_text(), "checkpoint"});
  EXPECT_EQ(rebuilt->layers().size(), model->layers().size());
  Model other_nc(YamlSource{tiny_yaml(), "tiny.yaml"}, 7);
  EXPECT_EQ(other_nc->nc(), 7);
  Model from_checkpoint(YamlSource{other_nc->yaml_text(), "checkpoint"});
  EXPECT_EQ(from_checkpoint->nc(), 7);
}

TEST(ModelYaml, UnknownModuleNamesLineAndAllowedModules) {
  const auto message = error_of(tiny_yaml("[-1, 1, Conv3D, [32, 3, 1]]"));
  EXPECT_NE(message.find("bad.yaml:9"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown module 'Conv3D'"), std::string::npos) << message;
  EXPECT_NE(message.find("SPPF"), std::string::npos) << message;
}

TEST(ModelYaml, BadFromIndex) {
  auto message = error_of(tiny_yaml("[5, 1, Conv, [32, 3, 1]]"));
  EXPECT_NE(message.find("bad.yaml:9"), std::string::npos) << message;
  EXPECT_NE(message.find("'from' index 5"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-4, 1, Conv, [32, 3, 1]]"));
  EXPECT_NE(message.find("'from' index -4"), std::string::npos) << message;
  message = error_of(tiny_yaml("[[-1, -2], 1, Conv, [32, 3, 1]]"));
  EXPECT_NE(message.find("single layer index"), std::string::npos) << message;
}

TEST(ModelYaml, WrongArgCountOrType) {
  auto message = error_of(tiny_yaml("[-1, 1, SPPF, [32, 5, 1]]"));
  EXPECT_NE(message.find("bad.yaml:9"), std::string::npos) << message;
  EXPECT_NE(message.find("got 3 args"), std::string::npos) << message;
  EXPECT_NE(message.find("[c2, k=5]"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-1, 1, Conv, [wide, 3, 1]]"));
  EXPECT_NE(message.find("c2 must be an integer"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-1, 1, C3, [32, maybe]]"));
  EXPECT_NE(message.find("shortcut must be True or False"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-1, 1, Conv, [32, 3, 1, None, 1, nn.Swish()]]"));
  EXPECT_NE(message.find("nn.LeakyReLU"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-1, 1, Conv, 32]"));
  EXPECT_NE(message.find("args must be a list"), std::string::npos) << message;
}

TEST(ModelYaml, MissingKeysAndBrokenStructure) {
  auto text = tiny_yaml();
  auto message = error_of(text.substr(text.find('\n') + 1));  // no nc
  EXPECT_NE(message.find("no 'nc' key"), std::string::npos) << message;
  message = error_of("nc: 4\nbackbone: [");
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  EXPECT_NE(message.find("bad.yaml:"), std::string::npos) << message;
  message = error_of(tiny_yaml("[-1, 1, Conv]"));
  EXPECT_NE(message.find("4-element list"), std::string::npos) << message;
  message = error_of(tiny_yaml("[[-1, 2], 1, Detect, [nc, anchors]]"));
  EXPECT_NE(message.find("must be the last layer"), std::string::npos) << message;
}

TEST(ModelYaml, GainsMustBePositive) {
  const std::string text = tiny_yaml();
  for (const char* gain : {"depth_multiple", "width_multiple"}) {
    for (const char* value : {"0", "-0.5"}) {
      const auto start = text.find(gain);
      const auto end = text.find('\n', start);
      const std::string bad = text.substr(0, start) + gain + ": " + value + text.substr(end);
      const auto message = error_of(bad);
      const int line = std::string(gain) == "depth_multiple" ? 2 : 3;
      EXPECT_NE(message.find("bad.yaml:" + std::to_string(line)), std::string::npos) << message;
      EXPECT_NE(message.find(std::string(gain) + " must be a positive number, got " + value),
                std::string::npos)
          << message;
    }
  }
}

TEST(ModelYaml, LayersThatDoNotFitTogether) {
  // Layer 3 (stride 4) concatenated with layer 0 (stride 2).
  const auto message = error_of(tiny_yaml("[[-1, 0], 1, Concat, [1]]"));
  EXPECT_NE(message.find("bad.yaml"), std::string::npos) << message;
  EXPECT_NE(message.find("do not fit together"), std::string::npos) << message;
}

TEST(ModelYaml, UnreadableFileIsAnError) {
  EXPECT_THROW(Model(std::filesystem::path("/nonexistent/model.yaml")), Error);
}

}  // namespace
}  // namespace qyolo::nn

namespace qyolo::nn {
namespace {

// yaml_text() is what checkpoints store: it must rebuild every shipped architecture.
TEST(ModelYaml, StoredTextRebuildsShippedModels) {
  for (const char* name : {"yolov5n-seg", "yolov7-tiny"}) {
    SCOPED_TRACE(name);
    Model model(test::source_dir() / "configs" / "models" / (std::string(name) + ".yaml"), 3);
    Model rebuilt(YamlSource{model->yaml_text(), "checkpoint"});
    EXPECT_EQ(rebuilt->nc(), 3);
    EXPECT_EQ(rebuilt->head_kind(), model->head_kind());
    EXPECT_EQ(rebuilt->module_count(), model->module_count());
    ASSERT_EQ(rebuilt->layers().size(), model->layers().size());
    for (size_t i = 0; i < model->layers().size(); ++i) {
      EXPECT_EQ(rebuilt->layers()[i].args, model->layers()[i].args);
      EXPECT_EQ(rebuilt->layers()[i].params, model->layers()[i].params);
    }
  }
}

}  // namespace
}  // namespace qyolo::nn
