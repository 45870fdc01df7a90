// tools/convert_weights.py end to end: a checkpoint written the way ultralytics train.py writes
// it (fp16 model pickled with its classes) is converted, loaded and gives the reference output.
// Needs a checkout of ultralytics/yolov5 v7.0 in $QYOLO_YOLOV5_REPO and /usr/bin/python3 with
// torch; skipped otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "qyolo/nn/model.h"
#include "support/test_support.h"

namespace qyolo::nn {
namespace {

// Builds yolov5n with nc=3 in the reference code, makes BatchNorm non-trivial, saves a train.py
// style checkpoint and the reference eval output for a random input.
const char* kMakeCheckpoint = R"PY(
import sys, torch
sys.path.insert(0, sys.argv[1])
from models.yolo import Model
out = sys.argv[2]
torch.manual_seed(0)
model = Model(sys.argv[1] + '/models/yolov5n.yaml', nc=3)
g = torch.Generator().manual_seed(1)
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.weight.data.uniform_(0.6, 1.4, generator=g)
        m.bias.data.uniform_(-0.2, 0.2, generator=g)
        m.running_mean.uniform_(-0.5, 0.5, generator=g)
        m.running_var.uniform_(0.5, 2.0, generator=g)
model.names = ['cat', 'dog', 'bird']
torch.save({'epoch': 3, 'model': model.half(), 'ema': None}, out + '/last.pt')
model = model.float().eval()
x = torch.rand(1, 3, 128, 160, generator=g)
with torch.no_grad():
    pred, raw = model(x)
torch.save({'x': x, 'eval_out': pred, 'raw0': raw[0], 'n': 2}, out + '/expected.pt')
)PY";

TEST(ConvertWeights, Yolov5CheckpointLoadsAndMatchesTheReference) {
  const char* repo = std::getenv("QYOLO_YOLOV5_REPO");
  if (!repo) GTEST_SKIP() << "set QYOLO_YOLOV5_REPO to a yolov5 v7.0 checkout";
  const auto dir = test::temp_dir("nn_convert_weights");
  {
    std::ofstream script(dir / "make_checkpoint.py");
    script << kMakeCheckpoint;
  }
  auto run = test::run_command("/usr/bin/python3 " + (dir / "make_checkpoint.py").string() + " " +
                               repo + " " + dir.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  run = test::run_command(
      "/usr/bin/python3 " + (test::source_dir() / "tools" / "convert_weights.py").string() + " " +
      (dir / "last.pt").string() + " -o " + (dir / "last.qyolo.pt").string() + " --repo " + repo);
  ASSERT_EQ(run.exit_code, 0) << run.output;

  const auto file = read_weights_file(dir / "last.qyolo.pt");
  EXPECT_EQ(file.nc, 3);
  EXPECT_EQ(file.names, (std::vector<std::string>{"cat", "dog", "bird"}));
  // The checkpoint's own yaml rebuilds the architecture.
  Model model(YamlSource{file.yaml, "checkpoint yaml"});
  EXPECT_EQ(model->nc(), 3);
  const auto report = model->load_weights(dir / "last.qyolo.pt", LoadOptions().strict(true));
  EXPECT_EQ(report.loaded.size(), 349u);

  const auto expected = test::load_pickle(dir / "expected.pt").toGenericDict();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto out = model->forward(expected.at("x").toTensor());
  const auto raw0 = expected.at("raw0").toTensor();
  EXPECT_LT((out.raw[0] - raw0).abs().max().item<double>(), 1e-4 * raw0.abs().max().item<double>());
  const auto eval_out = expected.at("eval_out").toTensor();
  ASSERT_EQ(out.decoded.sizes(), eval_out.sizes());
  EXPECT_TRUE(torch::allclose(out.decoded, eval_out, 1e-4, 1e-4));
}

}  // namespace
}  // namespace qyolo::nn
