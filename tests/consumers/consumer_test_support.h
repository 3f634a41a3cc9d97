// tests/consumers/consumer_test_support.h: a fresh in-memory default layer per test, and a probe
// that test consumers report into (the consumer itself is created by as_asgi per connection).

#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "channel_layer/default_layer.h"
#include "channel_layer/in_memory_layer.h"
#include "consumers/consumers.h"
#include "testing/testing.h"

namespace laurel::consumers::test {

struct Probe {
  std::vector<std::string> log;
  std::string channel_name;
  std::vector<int> disconnect_codes;
  std::vector<asgi::SendStatus> late_sends;
  std::string error;
  std::weak_ptr<Consumer> consumer;
};
using ProbePtr = std::shared_ptr<Probe>;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = std::make_shared<channel_layer::InMemoryChannelLayer>();
    previous_ = channel_layer::set_default_layer(layer_);
  }
  void TearDown() override { channel_layer::set_default_layer(previous_); }

  server::UvLoop& loop() { return laurel::testing::default_loop(); }
  void run(Task<void> task) { laurel::testing::run_until_complete(std::move(task)); }

  std::shared_ptr<channel_layer::InMemoryChannelLayer> layer_;
  channel_layer::ChannelLayerPtr previous_;
  ProbePtr probe_ = std::make_shared<Probe>();
};

}  // namespace laurel::consumers::test
