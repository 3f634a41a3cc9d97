// RedisChannelLayer against a real redis-server of its own: the operations, their semantics
// (capacity, expiry, groups) and the exact Redis layout channels_redis processes read.

#include "channel_layer/redis_layer.h"

#include <gtest/gtest.h>

#include <ctime>

#include "channel_layer/fernet.h"
#include "channel_layer/redis_wire.h"
#include "redis_test_support.h"

namespace laurel::channel_layer {
namespace {

using testing_redis::run;
using testing_redis::run_until;
namespace wire = redis_wire;

Task<std::vector<RedisReply>> exec(RedisConnection& c, std::vector<std::string> cmd) {
  co_return co_await c.execute(std::move(cmd));
}

class RedisLayerTest : public ::testing::Test {
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

  std::unique_ptr<RedisChannelLayer> make_layer(LayerConfig config = {}) {
    return std::make_unique<RedisChannelLayer>(config, std::vector<std::string>{server_->url()},
                                               "asgi", &loop_);
  }

  // A command on a connection of the test's own, to look at what the layer stored.
  RedisReply raw(std::vector<std::string> cmd) {
    if (!raw_) {
      raw_ = std::make_unique<RedisConnection>(
          loop_, RedisAddress::parse(server_->url()),
          std::make_shared<RedisShardHealth>("test", std::make_shared<RedisCounters>()));
    }
    return run(loop_, exec(*raw_, std::move(cmd))).at(0);
  }

  server::UvLoop loop_;
  std::unique_ptr<testing_redis::RedisServer> server_;
  std::unique_ptr<RedisConnection> raw_;
};

TEST_F(RedisLayerTest, SendThenReceiveOnAGeneralChannel) {
  auto layer = make_layer();
  asgi::Value message = {{"type", "hello"}, {"n", 1}, {"raw", asgi::Bytes{std::string("\0\1", 2)}}};
  run(loop_, layer->send("laurel.general", message));
  EXPECT_EQ(run(loop_, layer->receive("laurel.general")), message);
}

TEST_F(RedisLayerTest, SendStoresWhatChannelsRedisStores) {
  auto layer = make_layer();
  asgi::Value message = {{"type", "hello"}, {"n", 1}};
  run(loop_, layer->send("laurel.general", message));
  RedisReply members = raw({"ZRANGE", "asgilaurel.general", "0", "-1", "WITHSCORES"});
  ASSERT_EQ(members.elements.size(), 2u);
  const std::string& member = members.elements[0].str;
  ASSERT_EQ(member.size(), 12 + 15u);
  EXPECT_EQ(member.substr(12), wire::pack(message));
  EXPECT_GT(std::stod(members.elements[1].str), 1.7e9);  // wall-clock seconds
  EXPECT_EQ(raw({"TTL", "asgilaurel.general"}).integer, 60);

  std::string specific = layer->new_channel();
  run(loop_, layer->send(specific, message));
  std::string key = "asgi" + std::string(wire::non_local_name(specific));
  EXPECT_EQ(key, "asgispecific." + layer->client_prefix() + "!");
  RedisReply stored = raw({"ZRANGE", key, "0", "-1"});
  ASSERT_EQ(stored.elements.size(), 1u);
  asgi::Value expected = message;
  expected["__asgi_channel__"] = specific;
  EXPECT_EQ(wire::deserialize(stored.elements[0].str), expected);
}

TEST_F(RedisLayerTest, SpecificChannelsReachReceiveAndListen) {
  auto layer = make_layer();
  std::string a = layer->new_channel();
  std::string b = layer->new_channel();
  run(loop_, layer->send(a, {{"type", "for.a"}}));
  EXPECT_EQ(run(loop_, layer->receive(a)), (asgi::Value{{"type", "for.a"}}));

  std::vector<asgi::Value> got;
  auto registration = layer->listen(b, [&](const asgi::Value& m) { got.push_back(m); });
  for (int i = 0; i < 3; ++i) run(loop_, layer->send(b, {{"type", "n"}, {"i", i}}));
  ASSERT_TRUE(run_until(loop_, [&] { return got.size() == 3; }));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i]["i"].as_int(), i);
  registration.reset();
}

TEST_F(RedisLayerTest, ReceiveRefusesAnotherProcesssChannel) {
  auto layer = make_layer();
  EXPECT_THROW(run(loop_, layer->receive("specific.0123456789abcdef0123456789abcdef!x")), InvalidName);
  EXPECT_THROW(run(loop_, layer->send("bad name", {{"type", "x"}})), InvalidName);
}

TEST_F(RedisLayerTest, FullChannelRaisesChannelFull) {
  LayerConfig config;
  config.capacity = 2;
  config.channel_capacity = {{"roomy.*", 3}};
  auto layer = make_layer(config);
  run(loop_, layer->send("tight", {{"type", "m"}}));
  run(loop_, layer->send("tight", {{"type", "m"}}));
  EXPECT_THROW(run(loop_, layer->send("tight", {{"type", "m"}})), ChannelFull);
  EXPECT_EQ(raw({"ZCARD", "asgitight"}).integer, 2);
  for (int i = 0; i < 3; ++i) run(loop_, layer->send("roomy.one", {{"type", "m"}}));
  EXPECT_THROW(run(loop_, layer->send("roomy.one", {{"type", "m"}})), ChannelFull);
}

TEST_F(RedisLayerTest, ExpiredMessagesAreDroppedByTheNextSend) {
  LayerConfig config;
  config.expiry = std::chrono::seconds(10);
  auto layer = make_layer(config);
  double now = 1'800'000'000.0;
  layer->set_wall_clock([&] { return now; });
  run(loop_, layer->send("aging", {{"type", "old"}}));
  EXPECT_EQ(raw({"TTL", "asgiaging"}).integer, 10);
  now += 11;  // the old message is now past its expiry
  run(loop_, layer->send("aging", {{"type", "new"}}));
  EXPECT_EQ(raw({"ZCARD", "asgiaging"}).integer, 1);
  EXPECT_EQ(run(loop_, layer->receive("aging")), (asgi::Value{{"type", "new"}}));
}

TEST_F(RedisLayerTest, GroupSendReachesEveryMemberOnceWithOneCopyPerProcess) {
  auto one = make_layer();
  auto two = make_layer();  // another "process": another client prefix
  std::string a = one->new_channel(), b = one->new_channel(), c = two->new_channel();
  for (const auto& ch : {a, b}) run(loop_, one->group_add("chat_lobby", ch));
  run(loop_, two->group_add("chat_lobby", c));
  EXPECT_EQ(raw({"TTL", "asgi:group:chat_lobby"}).integer, 86400);
  EXPECT_EQ(raw({"ZCARD", "asgi:group:chat_lobby"}).integer, 3);

  run(loop_, two->group_send("chat_lobby", {{"type", "chat.message"}, {"message", "hi"}}));
  // Process one's queue holds one copy naming both of its channels.
  RedisReply stored = raw({"ZRANGE", "asgi" + std::string(wire::non_local_name(a)), "0", "-1"});
  ASSERT_EQ(stored.elements.size(), 1u);
  auto routed = wire::take_routing(wire::deserialize(stored.elements[0].str));
  EXPECT_EQ(routed.channels.size(), 2u);

  asgi::Value expected = {{"type", "chat.message"}, {"message", "hi"}};
  EXPECT_EQ(run(loop_, one->receive(a)), expected);
  EXPECT_EQ(run(loop_, one->receive(b)), expected);
  EXPECT_EQ(run(loop_, two->receive(c)), expected);
}

TEST_F(RedisLayerTest, GroupDiscardStopsDelivery) {
  auto layer = make_layer();
  std::string a = layer->new_channel(), b = layer->new_channel();
  run(loop_, layer->group_add("room", a));
  run(loop_, layer->group_add("room", b));
  run(loop_, layer->group_discard("room", a));
  run(loop_, layer->group_discard("room", "never.added"));  // no-op, no error
  run(loop_, layer->group_send("room", {{"type", "m"}}));
  RedisReply stored = raw({"ZRANGE", "asgi" + std::string(wire::non_local_name(b)), "0", "-1"});
  ASSERT_EQ(stored.elements.size(), 1u);
  auto routed = wire::take_routing(wire::deserialize(stored.elements[0].str));
  EXPECT_EQ(routed.channels, std::vector<std::string>{b});
}

TEST_F(RedisLayerTest, GroupMembershipExpires) {
  LayerConfig config;
  config.group_expiry = std::chrono::seconds(100);
  auto layer = make_layer(config);
  double now = 1'800'000'000.0;
  layer->set_wall_clock([&] { return now; });
  run(loop_, layer->group_add("fading", "general.member"));
  now += 101;
  run(loop_, layer->group_send("fading", {{"type", "m"}}));
  EXPECT_EQ(raw({"ZCARD", "asgi:group:fading"}).integer, 0);
  EXPECT_EQ(raw({"EXISTS", "asgigeneral.member"}).integer, 0);
}

TEST_F(RedisLayerTest, GroupSendSkipsFullChannelsSilently) {
  LayerConfig config;
  config.capacity = 1;
  auto layer = make_layer(config);
  run(loop_, layer->group_add("g", "slow.reader"));
  run(loop_, layer->group_add("g", "other.reader"));
  run(loop_, layer->send("slow.reader", {{"type", "first"}}));
  run(loop_, layer->group_send("g", {{"type", "second"}}));  // no ChannelFull
  EXPECT_EQ(layer->counters().group_send_skipped_full, 1u);
  EXPECT_EQ(raw({"ZCARD", "asgislow.reader"}).integer, 1);
  EXPECT_EQ(raw({"ZCARD", "asgiother.reader"}).integer, 1);
  EXPECT_EQ(run(loop_, layer->receive("slow.reader"))["type"].as_string(), "first");
}

TEST_F(RedisLayerTest, FlushRemovesEveryKeyOfThePrefix) {
  auto layer = make_layer();
  run(loop_, layer->send("x.y", {{"type", "m"}}));
  run(loop_, layer->group_add("g", "x.y"));
  raw({"SET", "other:key", "kept"});
  run(loop_, layer->flush());
  EXPECT_EQ(raw({"KEYS", "asgi*"}).elements.size(), 0u);
  EXPECT_EQ(raw({"EXISTS", "other:key"}).integer, 1);
}

TEST_F(RedisLayerTest, MessagesForAListenerArriveInOrderAcrossProcesses) {
  auto receiver = make_layer();
  auto sender = make_layer();
  std::string ch = receiver->new_channel();
  std::vector<std::int64_t> seen;
  auto registration = receiver->listen(ch, [&](const asgi::Value& m) { seen.push_back(m["i"].as_int()); });
  for (int i = 0; i < 20; ++i) run(loop_, sender->send(ch, {{"type", "n"}, {"i", i}}));
  ASSERT_TRUE(run_until(loop_, [&] { return seen.size() == 20; }));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[i], i);
}


// A backlog in the process queue is drained with ZPOPMIN <count>, not one BZPOPMIN per message,
// in score order, and nothing is left parked in $inflight.
TEST_F(RedisLayerTest, ABacklogDrainsInOrderInBatches) {
  auto receiver = make_layer();
  auto sender = make_layer();
  std::string ch = receiver->new_channel();
  for (int i = 0; i < 90; ++i) run(loop_, sender->send(ch, {{"type", "n"}, {"i", i}}));
  auto calls = [&](const std::string& command) {
    std::string info = raw({"INFO", "commandstats"}).str;
    auto at = info.find("cmdstat_" + command + ":calls=");
    return at == std::string::npos ? 0L : std::stol(info.substr(at + command.size() + 15));
  };
  long blocking_before = calls("bzpopmin");
  std::vector<std::int64_t> seen;
  auto registration = receiver->listen(ch, [&](const asgi::Value& m) { seen.push_back(m["i"].as_int()); });
  ASSERT_TRUE(run_until(loop_, [&] { return seen.size() == 90; }));
  for (int i = 0; i < 90; ++i) EXPECT_EQ(seen[i], i);
  // 90 messages: two batches of at most 64, then the loop blocks once for the next message.
  EXPECT_LE(calls("bzpopmin") - blocking_before, 2);
  std::string key = "asgi" + std::string(wire::non_local_name(ch));
  EXPECT_EQ(raw({"ZCARD", key}).integer, 0);
  EXPECT_EQ(raw({"EXISTS", wire::inflight_key(key)}).integer, 0);
}

// symmetric_encryption_keys: bodies are Fernet tokens of the msgpack channels_redis would store,
// a layer with the old key second still reads them, and one without the key drops them (counted).
TEST_F(RedisLayerTest, EncryptedLayersStoreFernetTokensAndRotateKeys) {
  RedisLayerOptions enc;
  enc.symmetric_encryption_keys = {"new-secret", "old-secret"};
  auto writer = std::make_unique<RedisChannelLayer>(LayerConfig{}, std::vector<std::string>{server_->url()},
                                                    enc, &loop_);
  EXPECT_TRUE(writer->encrypted());
  asgi::Value message = {{"type", "secret"}, {"v", 7}};
  run(loop_, writer->send("sealed", message));
  RedisReply stored = raw({"ZRANGE", "asgisealed", "0", "-1"});
  ASSERT_EQ(stored.elements.size(), 1u);
  std::string token = stored.elements[0].str.substr(wire::kRandomPrefixBytes);
  EXPECT_EQ(token.substr(0, 4), "gAAA");  // version byte 0x80, base64url
  auto now = static_cast<std::uint64_t>(std::time(nullptr));
  EXPECT_EQ(MultiFernet({"new-secret"}).decrypt(token, now, 70), wire::pack(message));

  RedisLayerOptions rotated;
  rotated.symmetric_encryption_keys = {"newer-secret", "new-secret"};
  auto reader = std::make_unique<RedisChannelLayer>(LayerConfig{}, std::vector<std::string>{server_->url()},
                                                    rotated, &loop_);
  EXPECT_EQ(run(loop_, reader->receive("sealed")), message);

  // Group fan-out to a listener, encrypted end to end.
  std::string ch = reader->new_channel();
  std::vector<asgi::Value> got;
  auto registration = reader->listen(ch, [&](const asgi::Value& m) { got.push_back(m); });
  run(loop_, reader->group_add("vault", ch));
  run(loop_, writer->group_send("vault", message));
  ASSERT_TRUE(run_until(loop_, [&] { return got.size() == 1; }));
  EXPECT_EQ(got[0], message);

  // A plain layer cannot read it: the message is dropped and counted, nothing crashes.
  auto plain = make_layer();
  std::string plain_ch = plain->new_channel();
  std::vector<asgi::Value> plain_got;
  auto plain_reg = plain->listen(plain_ch, [&](const asgi::Value& m) { plain_got.push_back(m); });
  run(loop_, plain->group_add("vault2", plain_ch));
  run(loop_, writer->group_send("vault2", message));
  ASSERT_TRUE(run_until(loop_, [&] { return plain->counters().decode_errors == 1; }));
  EXPECT_TRUE(plain_got.empty());
  run(loop_, writer->send("sealed", message));
  EXPECT_THROW(run(loop_, plain->receive("sealed")), wire::WireError);
}

}  // namespace
}  // namespace laurel::channel_layer
