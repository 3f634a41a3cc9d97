// Two Redis hosts: keys land on the shard channels_redis's consistent_hash picks, and a
// process's specific channels receive whichever shard a sender used.

#include <gtest/gtest.h>

#include "channel_layer/redis_layer.h"
#include "channel_layer/redis_wire.h"
#include "redis_test_support.h"

namespace laurel::channel_layer {
namespace {

using testing_redis::run;
namespace wire = redis_wire;

Task<std::vector<RedisReply>> exec(RedisConnection& c, std::vector<std::string> cmd) {
  co_return co_await c.execute(std::move(cmd));
}

TEST(RedisSharding, KeysLandOnTheHashedShardAndSpecificChannelsReceiveFromBoth) {
  std::string binary = testing_redis::find_redis_server();
  if (binary.empty()) GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server)";
  testing_redis::RedisServer first(binary), second(binary);
  first.start();
  second.start();
  server::UvLoop loop;
  auto counters = std::make_shared<RedisCounters>();
  RedisConnection raw0(loop, RedisAddress::parse(first.url()), std::make_shared<RedisShardHealth>("0", counters));
  RedisConnection raw1(loop, RedisAddress::parse(second.url()), std::make_shared<RedisShardHealth>("1", counters));
  RedisConnection* raw[] = {&raw0, &raw1};

  RedisChannelLayer layer({}, {first.url(), second.url()}, "asgi", &loop);
  ASSERT_EQ(layer.shard_count(), 2u);
  // From the vectors: "chat_lobby" → shard 1 of 2, "grp1" → shard 0 of 2.
  run(loop, layer.group_add("chat_lobby", "some.channel"));
  run(loop, layer.group_add("grp1", "some.channel"));
  EXPECT_EQ(run(loop, exec(*raw[1], {"EXISTS", "asgi:group:chat_lobby"}))[0].integer, 1);
  EXPECT_EQ(run(loop, exec(*raw[0], {"EXISTS", "asgi:group:chat_lobby"}))[0].integer, 0);
  EXPECT_EQ(run(loop, exec(*raw[0], {"EXISTS", "asgi:group:grp1"}))[0].integer, 1);

  // A Python sender puts send() to a specific channel on the shard of the full name; laurel
  // puts it on the shard of the non-local name. Store one copy on each shard by hand, as
  // either sender would, and receive both.
  std::string ch = layer.new_channel();
  std::string key = wire::channel_key("asgi", ch);
  for (int shard = 0; shard < 2; ++shard) {
    asgi::Value m = {{"type", "m"}, {"shard", shard}, {"__asgi_channel__", ch}};
    run(loop, exec(*raw[shard], {"ZADD", key, "1", wire::serialize(m)}));
  }
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2; ++i) seen.insert(run(loop, layer.receive(ch))["shard"].as_int());
  EXPECT_EQ(seen, (std::set<std::int64_t>{0, 1}));

  // laurel's own send() goes to the non-local name's shard.
  run(loop, layer.send(ch, {{"type", "own"}}));
  EXPECT_EQ(run(loop, layer.receive(ch))["type"].as_string(), "own");
}

}  // namespace
}  // namespace laurel::channel_layer
