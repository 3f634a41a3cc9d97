// tests/channel_layer/default_layer_test.cpp
// The process default layer and the per-thread layer a worker loop installs over it.

#include "channel_layer/default_layer.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "channel_layer/in_memory_layer.h"

namespace laurel::channel_layer {
namespace {

TEST(DefaultLayer, ThreadLayerOverridesTheDefaultOnlyOnItsThread) {
  auto process = std::make_shared<InMemoryChannelLayer>();
  auto worker = std::make_shared<InMemoryChannelLayer>();
  ChannelLayerPtr saved = set_default_layer(process);

  ChannelLayerPtr seen_on_worker;
  ChannelLayerPtr seen_after_clear;
  std::thread t([&] {
    EXPECT_EQ(set_thread_layer(worker), nullptr);
    seen_on_worker = get_channel_layer();
    EXPECT_EQ(set_thread_layer(nullptr), worker);
    seen_after_clear = get_channel_layer();
  });
  t.join();

  EXPECT_EQ(seen_on_worker, worker);
  EXPECT_EQ(seen_after_clear, process);
  EXPECT_EQ(get_channel_layer(), process);  // this thread never had a layer of its own
  set_default_layer(saved);
}

TEST(DefaultLayer, ThreadLayerWorksWithoutADefault) {
  ChannelLayerPtr saved = set_default_layer(nullptr);
  auto mine = std::make_shared<InMemoryChannelLayer>();
  EXPECT_EQ(get_channel_layer(), nullptr);
  set_thread_layer(mine);
  EXPECT_EQ(get_channel_layer(), mine);
  set_thread_layer(nullptr);
  EXPECT_EQ(get_channel_layer(), nullptr);
  set_default_layer(saved);
}

}  // namespace
}  // namespace laurel::channel_layer
