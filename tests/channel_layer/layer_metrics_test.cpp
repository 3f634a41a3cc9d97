// The channel layers feed the process metrics (docs/metrics.md): group_send counts, per-operation
// latency histograms, and the Redis shard gauge that goes to 0 while Redis is down and back to 1
// after it returns.

#include <gtest/gtest.h>

#include "asgi/metrics.h"
#include "channel_layer/in_memory_layer.h"
#include "channel_layer/redis_layer.h"
#include "redis_test_support.h"

namespace laurel::channel_layer {
namespace {

using testing_redis::run;
using testing_redis::run_until;

std::uint64_t group_sends() {
  return metrics::Registry::global().counter("laurel_group_send_total", "").value();
}
// Read from the rendered text: asking the registry for the histogram would create the series
// with other buckets when nothing has been observed yet.
std::uint64_t latency_count(const std::string& operation) {
  std::string text = metrics::Registry::global().render();
  std::string key = "laurel_channel_layer_seconds_count{operation=\"" + operation + "\"} ";
  auto at = text.find(key);
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + key.size()));
}
std::int64_t redis_up(const std::string& shard) {
  return metrics::Registry::global().gauge("laurel_redis_up", "", {{"shard", shard}}).value();
}

TEST(LayerMetrics, InMemoryGroupSendIsCounted) {
  server::UvLoop loop;
  InMemoryChannelLayer layer{LayerConfig{}};
  std::uint64_t before = group_sends();
  run(loop, layer.group_send("nobody_here", {{"type", "m"}}));
  run(loop, layer.group_send("nobody_here", {{"type", "m"}}));
  EXPECT_EQ(group_sends(), before + 2);
}

class RedisLayerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string binary = testing_redis::find_redis_server();
    if (binary.empty()) GTEST_SKIP() << "redis-server is not installed: Redis metrics skipped";
    server_ = std::make_unique<testing_redis::RedisServer>(binary);
    server_->start();
  }
  std::string shard() const { return RedisAddress::parse(server_->url()).display(); }
  server::UvLoop loop_;
  std::unique_ptr<testing_redis::RedisServer> server_;
};

TEST_F(RedisLayerMetricsTest, OperationsCountAndTimeThemselves) {
  RedisChannelLayer layer({}, {server_->url()}, "asgi", &loop_);
  std::string ch = layer.new_channel();
  std::uint64_t sends = group_sends();
  std::uint64_t adds = latency_count("group_add"), gsends = latency_count("group_send"),
                plain = latency_count("send"), discards = latency_count("group_discard");
  run(loop_, layer.group_add("metered", ch));
  run(loop_, layer.group_send("metered", {{"type", "m"}}));
  run(loop_, layer.send("general.metered", {{"type", "m"}}));
  run(loop_, layer.group_discard("metered", ch));
  EXPECT_EQ(group_sends(), sends + 1);
  EXPECT_EQ(latency_count("group_add"), adds + 1);
  EXPECT_EQ(latency_count("group_send"), gsends + 1);
  EXPECT_EQ(latency_count("send"), plain + 1);
  EXPECT_EQ(latency_count("group_discard"), discards + 1);
  std::string text = metrics::Registry::global().render();
  EXPECT_NE(text.find("laurel_channel_layer_seconds_count{operation=\"group_send\"}"),
            std::string::npos);
  EXPECT_NE(text.find("laurel_redis_up{shard=\"" + shard() + "\"} 1"), std::string::npos);
}

TEST_F(RedisLayerMetricsTest, TheShardGaugeFollowsAnOutage) {
  const std::string name = shard();
  const std::int64_t base = redis_up(name);  // other layers of this process on the same shard
  {
    RedisChannelLayer layer({}, {server_->url()}, "asgi", &loop_);
    run(loop_, layer.send("a.b", {{"type", "m"}}));
    EXPECT_EQ(redis_up(name), base + 1);

    server_->kill_hard();
    EXPECT_THROW(run(loop_, layer.send("a.b", {{"type", "m"}}), std::chrono::milliseconds(3000)),
                 LayerUnavailable);
    EXPECT_EQ(redis_up(name), base);

    server_->start();
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
      try {
        run(loop_, layer.send("a.b", {{"type", "m"}}));
        back = true;
      } catch (const LayerUnavailable&) {
        bool tick = false;
        auto timer = loop_.call_later(std::chrono::milliseconds(100), [&] { tick = true; });
        run_until(loop_, [&] { return tick; });
      }
    }
    ASSERT_TRUE(back);
    EXPECT_EQ(redis_up(name), base + 1);
  }
  EXPECT_EQ(redis_up(name), base);  // a destroyed layer no longer counts
}

}  // namespace
}  // namespace laurel::channel_layer
