#include "qyolo/core/finite_check.h"

#include <gtest/gtest.h>

#include <limits>

namespace qyolo {
namespace {

TEST(FiniteCheck, NamesTheTensorsHoldingNanOrInf) {
  TensorMap state;
  state["a.weight"] = torch::ones({3});
  state["b.weight"] = torch::tensor({1.0, std::numeric_limits<double>::quiet_NaN()});
  state["c.running_var"] = torch::tensor({std::numeric_limits<float>::infinity()});
  state["d.num_batches_tracked"] = torch::tensor(5, torch::kLong);
  const FiniteCheck check = check_finite(state);
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.tensors, 3u);  // the integer counter is not checked
  EXPECT_EQ(check.non_finite, (std::vector<std::string>{"b.weight", "c.running_var"}));
  EXPECT_EQ(check.to_string(), "2 of 3 tensors hold NaN or inf values (b.weight, c.running_var)");
  EXPECT_FALSE(all_finite(state));
}

TEST(FiniteCheck, LongListsAreShortened) {
  TensorMap state;
  for (int i = 0; i < 6; ++i)
    state["t" + std::to_string(i)] = torch::full({2}, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(check_finite(state).to_string(),
            "6 of 6 tensors hold NaN or inf values (t0, t1, t2 and 3 more)");
}

TEST(FiniteCheck, FiniteStatePasses) {
  TensorMap state;
  state["w"] = torch::randn({4, 4});
  state["n"] = torch::tensor(1, torch::kLong);
  EXPECT_TRUE(check_finite(state).ok());
  EXPECT_TRUE(all_finite(state));
  EXPECT_EQ(check_finite(state).to_string(), "all 1 tensors are finite");
}

}  // namespace
}  // namespace qyolo
