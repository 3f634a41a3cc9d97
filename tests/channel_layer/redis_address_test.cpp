// The Redis URLs channels_redis's `hosts` list accepts, as laurel reads them.

#include "channel_layer/redis_address.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace laurel::channel_layer {
namespace {

TEST(RedisAddress, ParsesChannelsRedisHostUrls) {
  auto a = RedisAddress::parse("redis://:s%40cret@10.0.0.5:6380/2");
  EXPECT_EQ(a.host, "10.0.0.5");
  EXPECT_EQ(a.port, 6380);
  EXPECT_EQ(a.password, "s@cret");
  EXPECT_EQ(a.db, 2);
  EXPECT_EQ(a.display(), "redis://10.0.0.5:6380/2");  // no password in logs
  auto b = RedisAddress::parse("redis://localhost");
  EXPECT_EQ(b.port, 6379);
  EXPECT_EQ(b.db, 0);
  auto c = RedisAddress::parse("unix:///run/redis.sock?db=3");
  EXPECT_TRUE(c.is_unix());
  EXPECT_EQ(c.path, "/run/redis.sock");
  EXPECT_EQ(c.db, 3);
  auto d = RedisAddress::parse("redis://user:pw@[::1]:7000");
  EXPECT_EQ(d.username, "user");
  EXPECT_EQ(d.host, "::1");
  EXPECT_EQ(d.port, 7000);
  EXPECT_THROW(RedisAddress::parse("rediss://h:1"), std::invalid_argument);
  EXPECT_THROW(RedisAddress::parse("http://h:1"), std::invalid_argument);
  EXPECT_THROW(RedisAddress::parse("redis://h:99999"), std::invalid_argument);
}

}  // namespace
}  // namespace laurel::channel_layer
