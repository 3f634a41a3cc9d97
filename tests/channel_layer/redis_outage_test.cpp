// Redis killed and restarted under a live RedisChannelLayer: while it is down every operation
// fails fast with LayerUnavailable (no hang, nothing queued), the outage is counted once, and
// after it is back the same layer works again, listeners included.

#include <gtest/gtest.h>

#include "channel_layer/redis_layer.h"
#include "redis_test_support.h"

namespace laurel::channel_layer {
namespace {

using testing_redis::run;
using testing_redis::run_until;

class RedisOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string binary = testing_redis::find_redis_server();
    if (binary.empty()) {
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server): Redis "
                      "channel layer tests skipped";
    }
    server_ = std::make_unique<testing_redis::RedisServer>(binary);
    server_->start();
  }
  server::UvLoop loop_;
  std::unique_ptr<testing_redis::RedisServer> server_;
};

// Runs `op` until it stops failing with LayerUnavailable (the layer reconnected), bounded.
template <class Op>
bool retry_until_available(server::UvLoop& loop, Op op, int attempts = 100) {
  for (int i = 0; i < attempts; ++i) {
    try {
      op();
      return true;
    } catch (const LayerUnavailable&) {
      // Let the reconnect timer run (driven by the loop, not a sleep).
      bool tick = false;
      auto timer = loop.call_later(std::chrono::milliseconds(100), [&] { tick = true; });
      run_until(loop, [&] { return tick; });
    }
  }
  return false;
}

TEST_F(RedisOutageTest, OperationsFailFastWhileRedisIsDownAndWorkAfterItReturns) {
  RedisChannelLayer layer({}, {server_->url()}, "asgi", &loop_);
  std::string ch = layer.new_channel();
  std::vector<std::string> seen;
  auto registration =
      layer.listen(ch, [&](const asgi::Value& m) { seen.push_back(std::string(m["type"].as_string())); });
  run(loop_, layer.send(ch, {{"type", "before"}}));
  ASSERT_TRUE(run_until(loop_, [&] { return seen.size() == 1; }));

  server_->kill_hard();
  // Every kind of operation fails with LayerUnavailable; each finishes well before the
  // driver's deadline (a hang would throw DeadlineExceeded instead).
  const auto deadline = std::chrono::milliseconds(3000);
  EXPECT_THROW(run(loop_, layer.send("a.b", {{"type", "m"}}), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.send(ch, {{"type", "m"}}), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.group_add("g", ch), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.group_send("g", {{"type", "m"}}), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.group_discard("g", ch), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.flush(), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.receive("a.b"), deadline), LayerUnavailable);
  EXPECT_THROW(run(loop_, layer.receive(layer.new_channel()), deadline), LayerUnavailable);
  RedisCounters during = layer.counters();
  EXPECT_EQ(during.outages, 1u);  // one outage, however many connections noticed it
  EXPECT_GT(during.commands_failed_fast + during.commands_lost, 0u);

  server_->start();  // same port
  ASSERT_TRUE(retry_until_available(loop_, [&] { run(loop_, layer.group_add("g", ch)); }));
  run(loop_, layer.group_send("g", {{"type", "after"}}));
  ASSERT_TRUE(run_until(loop_, [&] { return seen.size() == 2; }, std::chrono::milliseconds(15000)));
  EXPECT_EQ(seen[1], "after");
  run(loop_, layer.send("a.b", {{"type", "m"}}));
  EXPECT_EQ(run(loop_, layer.receive("a.b"))["type"].as_string(), "m");
  EXPECT_EQ(layer.counters().outages, 1u);
  EXPECT_GE(layer.counters().recoveries, 1u);
}

TEST_F(RedisOutageTest, ALayerStartedWithoutRedisFailsFastThenConnects) {
  int port = server_->port();
  server_->stop();
  RedisChannelLayer layer({}, {"redis://127.0.0.1:" + std::to_string(port)}, "asgi", &loop_);
  EXPECT_THROW(run(loop_, layer.send("a.b", {{"type", "m"}}), std::chrono::milliseconds(3000)),
               LayerUnavailable);
  server_->start();
  EXPECT_TRUE(retry_until_available(loop_, [&] { run(loop_, layer.send("a.b", {{"type", "m"}})); }));
}

TEST_F(RedisOutageTest, DestroyingTheLayerFailsAWaitingReceive) {
  auto layer = std::make_unique<RedisChannelLayer>(LayerConfig{}, std::vector<std::string>{server_->url()},
                                                   "asgi", &loop_);
  auto outcome = std::make_shared<testing_redis::Outcome<asgi::Value>>();
  spawn(testing_redis::capture(layer->receive(layer->new_channel()), outcome));
  loop_.run_once(false);
  EXPECT_FALSE(outcome->done);
  layer.reset();
  ASSERT_TRUE(outcome->done);
  EXPECT_THROW(std::rethrow_exception(outcome->error), LayerUnavailable);
}

}  // namespace
}  // namespace laurel::channel_layer
