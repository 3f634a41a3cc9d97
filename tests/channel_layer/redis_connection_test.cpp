// RedisConnection on its own: replies, pipelining, and the two failure modes that must not
// hang a caller: a refused connection and a Redis that stops answering.

#include "channel_layer/redis_connection.h"

#include <gtest/gtest.h>

#include "redis_test_support.h"

namespace laurel::channel_layer {
namespace {

using testing_redis::run;

Task<std::vector<RedisReply>> exec(RedisConnection& c, std::vector<std::vector<std::string>> cmds) {
  co_return co_await c.execute_pipeline(std::move(cmds));
}

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string binary = testing_redis::find_redis_server();
    if (binary.empty()) {
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server): Redis "
                      "connection tests skipped";
    }
    server_ = std::make_unique<testing_redis::RedisServer>(binary);
    server_->start();
  }
  std::shared_ptr<RedisShardHealth> health() {
    return std::make_shared<RedisShardHealth>("test", counters_);
  }
  server::UvLoop loop_;
  std::shared_ptr<RedisCounters> counters_ = std::make_shared<RedisCounters>();
  std::unique_ptr<testing_redis::RedisServer> server_;
};

TEST_F(RedisConnectionTest, PipelinedRepliesComeBackInOrderWithTheirTypes) {
  RedisConnection conn(loop_, RedisAddress::parse(server_->url()), health());
  auto replies = run(loop_, exec(conn, {{"SET", "k", std::string("a\0b", 3)},
                                        {"GET", "k"},
                                        {"INCR", "n"},
                                        {"GET", "missing"},
                                        {"LPUSH", "k", "x"},
                                        {"ZRANGE", "nothing", "0", "-1"}}));
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(replies[0].type, RedisReply::Type::kStatus);
  EXPECT_EQ(replies[1].str, std::string("a\0b", 3));
  EXPECT_EQ(replies[2].integer, 1);
  EXPECT_TRUE(replies[3].is_nil());
  EXPECT_TRUE(replies[4].is_error());  // WRONGTYPE: an answer, not an outage
  EXPECT_EQ(replies[5].type, RedisReply::Type::kArray);
  EXPECT_TRUE(conn.up());
}

TEST_F(RedisConnectionTest, SelectsTheDatabaseFromTheUrl) {
  RedisConnection db3(loop_, RedisAddress::parse("redis://127.0.0.1:" + std::to_string(server_->port()) + "/3"), health());
  run(loop_, exec(db3, {{"SET", "where", "three"}}));
  RedisConnection db0(loop_, RedisAddress::parse(server_->url()), health());
  EXPECT_TRUE(run(loop_, exec(db0, {{"GET", "where"}}))[0].is_nil());
  EXPECT_EQ(run(loop_, exec(db3, {{"GET", "where"}}))[0].str, "three");
}

TEST_F(RedisConnectionTest, ARefusedConnectionFailsAtOnceNotAtTheConnectTimeout) {
  int port = server_->port();
  server_->stop();
  RedisConnectionOptions options;
  options.connect_timeout = std::chrono::milliseconds(60000);
  RedisConnection conn(loop_, RedisAddress::parse("redis://127.0.0.1:" + std::to_string(port)), health(), options);
  EXPECT_THROW(run(loop_, exec(conn, {{"PING"}}), std::chrono::milliseconds(5000)), LayerUnavailable);
  EXPECT_EQ(counters_->outages, 1u);
}

TEST_F(RedisConnectionTest, AStalledRedisIsDroppedAndItsCommandsFail) {
  RedisConnectionOptions options;
  options.reply_timeout = std::chrono::milliseconds(300);
  options.connect_timeout = std::chrono::milliseconds(300);
  RedisConnection conn(loop_, RedisAddress::parse(server_->url()), health(), options);
  run(loop_, exec(conn, {{"PING"}}));
  server_->pause();
  EXPECT_THROW(run(loop_, exec(conn, {{"PING"}}), std::chrono::milliseconds(5000)), LayerUnavailable);
  EXPECT_EQ(counters_->outages, 1u);
  EXPECT_GE(counters_->commands_lost, 1u);
  server_->resume();
  bool back = testing_redis::run_until(loop_, [&] { return conn.up(); }, std::chrono::milliseconds(10000));
  EXPECT_TRUE(back);
  EXPECT_EQ(run(loop_, exec(conn, {{"PING"}}))[0].str, "PONG");
  EXPECT_EQ(counters_->recoveries, 1u);
}

}  // namespace
}  // namespace laurel::channel_layer
