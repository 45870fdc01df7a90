#include "qyolo/core/torch_compat.h"

#include <gtest/gtest.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace qyolo::compat {
namespace {

struct OptionsWithLibUV {
  bool useLibUV = true;
};
struct OptionsWithoutLibUV {
  int port = 0;
};

TEST(TorchCompat, StoresUseTheClassicServerWhereLibTorchOffersAChoice) {
  OptionsWithLibUV with;
  use_classic_tcpstore_server(with);
  EXPECT_FALSE(with.useLibUV);
  OptionsWithoutLibUV without;
  use_classic_tcpstore_server(without);
  EXPECT_EQ(without.port, 0);
}

TEST(TorchCompat, TheClassicStoreServerStartsOnThisLibTorch) {
  c10d::TCPStoreOptions options;
  options.port = 0;  // any free port
  options.isServer = true;
  options.waitWorkers = false;
  use_classic_tcpstore_server(options);
  c10d::TCPStore store("127.0.0.1", options);
  store.set("key", std::vector<uint8_t>{1, 2});
  EXPECT_EQ(store.get("key"), (std::vector<uint8_t>{1, 2}));
}

TEST(TorchCompat, VersionMacroMatchesThisLibTorch) {
  EXPECT_TRUE(QYOLO_TORCH_AT_LEAST(1, 13));
  EXPECT_TRUE(QYOLO_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR));
  EXPECT_FALSE(QYOLO_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR + 1));
  EXPECT_FALSE(QYOLO_TORCH_AT_LEAST(TORCH_VERSION_MAJOR + 1, 0));
}

}  // namespace
}  // namespace qyolo::compat
