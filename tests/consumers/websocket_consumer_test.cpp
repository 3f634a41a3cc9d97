// tests/consumers/websocket_consumer_test.cpp: the AsyncWebsocketConsumer lifecycle, dispatch by
// message type, groups, the one-at-a-time rule and the consumer's lifetime.

#include <gtest/gtest.h>

#include "consumer_test_support.h"

namespace laurel::consumers::test {
namespace {

using asgi::Value;
using laurel::testing::WebsocketCommunicator;
using namespace std::chrono_literals;

class LifecycleConsumer : public WebsocketConsumer {
 public:
  explicit LifecycleConsumer(ProbePtr probe) : probe_(std::move(probe)) {
    groups_ = {"everyone", "news"};
    handle("test.message", &LifecycleConsumer::test_message);
    handle("slow.message", &LifecycleConsumer::slow_message);
  }
  Task<void> connect() override {
    probe_->channel_name = channel_name();
    probe_->consumer = weak_from_this();
    probe_->log.push_back("connect");
    if (scope().get_string("path") == "/deny/") {
      close();
      co_return;
    }
    if (scope().get_string("path") == "/raise/") throw std::runtime_error("connect failed");
    const Value* offered = scope().find("subprotocols");
    accept(offered && offered->size() ? std::optional<std::string>("v2") : std::nullopt);
  }
  Task<void> receive(std::string_view text) override {
    probe_->log.push_back("text:" + std::string(text));
    if (text == "slow") {
      co_await sleep_for(loop(), 20ms);
      probe_->log.push_back("slow done");
      // The socket may have gone while we slept: sending is then a no-op.
      probe_->late_sends.push_back(send("after sleep"));
      co_return;
    }
    send("echo:" + std::string(text));
  }
  Task<void> receive_bytes(std::string_view bytes) override {
    send_bytes(bytes);
    co_return;
  }
  Task<void> disconnect(int code) override {
    probe_->disconnect_codes.push_back(code);
    probe_->log.push_back("disconnect");
    co_return;
  }
  Task<void> test_message(const Value& event) {
    probe_->log.push_back("message:" + std::string(event["text"].as_string()));
    send(std::string(event["text"].as_string()));
    co_return;
  }
  Task<void> slow_message(const Value& event) {
    std::string text(std::string(event["text"].as_string()));  // copied before the first suspension
    co_await sleep_for(loop(), 10ms);
    probe_->log.push_back("slow message:" + text);
  }

 protected:
  void on_error(std::exception_ptr error) override {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      probe_->error = e.what();
    }
    WebsocketConsumer::on_error(error);
  }

 private:
  ProbePtr probe_;
};

class WebsocketConsumerTest : public ConsumerTest {
 protected:
  asgi::ApplicationPtr app_ = as_asgi<LifecycleConsumer>(probe_);
};

TEST_F(WebsocketConsumerTest, ConnectAcceptsAndFramesGoBothWays) {
  WebsocketCommunicator comm(app_, "/ws/");
  auto [connected, subprotocol] = comm.connect();
  EXPECT_TRUE(connected);
  EXPECT_FALSE(subprotocol);
  comm.send_to("hello");
  EXPECT_EQ(comm.receive_from(), "echo:hello");
  comm.send_bytes_to(std::string("\x00\x01", 2));
  auto frame = comm.receive_frame_from();
  EXPECT_TRUE(frame.binary);
  EXPECT_EQ(frame.data, std::string("\x00\x01", 2));
  comm.disconnect(1001);
  EXPECT_EQ(probe_->disconnect_codes, std::vector<int>{1001});
}

TEST_F(WebsocketConsumerTest, AcceptCarriesTheChosenSubprotocol) {
  WebsocketCommunicator comm(app_, "/ws/", {}, {"v1", "v2"});
  auto [connected, subprotocol] = comm.connect();
  EXPECT_TRUE(connected);
  EXPECT_EQ(subprotocol, "v2");
}

TEST_F(WebsocketConsumerTest, CloseBeforeAcceptDeniesTheHandshake) {
  WebsocketCommunicator comm(app_, "/deny/");
  auto [connected, subprotocol] = comm.connect();
  EXPECT_FALSE(connected);
  EXPECT_EQ(comm.close_code(), 1000);
}

TEST_F(WebsocketConsumerTest, GroupsAreJoinedOnConnectAndLeftOnDisconnect) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  EXPECT_EQ(layer_->group_size("everyone"), 1u);
  EXPECT_EQ(layer_->group_size("news"), 1u);
  run(layer_->group_send("news", Value{{"type", "test.message"}, {"text", "extra"}}));
  EXPECT_EQ(comm.receive_from(), "extra");
  comm.disconnect();
  EXPECT_EQ(layer_->group_size("everyone"), 0u);
  EXPECT_EQ(layer_->group_size("news"), 0u);
}

TEST_F(WebsocketConsumerTest, LayerMessagesAreDispatchedByType) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  ASSERT_FALSE(probe_->channel_name.empty());
  run(layer_->send(probe_->channel_name, Value{{"type", "test.message"}, {"text", "direct"}}));
  EXPECT_EQ(comm.receive_from(), "direct");
  EXPECT_EQ(probe_->log.back(), "message:direct");
}

TEST_F(WebsocketConsumerTest, UnknownMessageTypeIsAnErrorThatCloses1011) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  run(layer_->send(probe_->channel_name, Value{{"type", "chat.message"}, {"text", "x"}}));
  Value out = comm.receive_output();
  EXPECT_EQ(out["type"], Value("websocket.close"));
  EXPECT_EQ(out["code"], Value(1011));
  EXPECT_EQ(probe_->error, "No handler for message type chat.message");
  comm.disconnect(1011);
  EXPECT_EQ(probe_->disconnect_codes, std::vector<int>{1011});
  EXPECT_EQ(layer_->group_size("everyone"), 0u);
}

TEST_F(WebsocketConsumerTest, DisconnectIsDeliveredAndGroupsLeftEvenWhenConnectRaised) {
  WebsocketCommunicator comm(app_, "/raise/");
  auto [connected, subprotocol] = comm.connect();
  EXPECT_FALSE(connected);
  EXPECT_EQ(comm.close_code(), 1011);
  EXPECT_EQ(probe_->error, "connect failed");
  EXPECT_EQ(layer_->group_size("everyone"), 1u);  // joined before connect() ran
  comm.disconnect(1006);
  EXPECT_EQ(probe_->disconnect_codes, std::vector<int>{1006});
  EXPECT_EQ(layer_->group_size("everyone"), 0u);
}

TEST_F(WebsocketConsumerTest, AnInstanceEndedWithoutDisconnectStillRunsDisconnect) {
  {
    asgi::Scope scope = laurel::testing::make_scope("websocket", "/ws/", {});
    laurel::testing::RecordingPeer peer(loop());
    laurel::testing::ScopedCurrentLoop current(loop());
    auto instance = app_->start(scope, peer);
    instance->receive(asgi::WebsocketConnect{});
    EXPECT_EQ(layer_->group_size("everyone"), 1u);
  }  // destroyed with no websocket.disconnect
  EXPECT_EQ(probe_->disconnect_codes, std::vector<int>{1006});
  EXPECT_EQ(layer_->group_size("everyone"), 0u);
}

TEST_F(WebsocketConsumerTest, OneEventAtATimeInArrivalOrder) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_to("slow");
  comm.send_to("second");  // arrives while "slow" sleeps: waits its turn
  run(layer_->send(probe_->channel_name, Value{{"type", "test.message"}, {"text", "third"}}));
  EXPECT_EQ(comm.receive_from(), "after sleep");
  EXPECT_EQ(comm.receive_from(), "echo:second");
  EXPECT_EQ(comm.receive_from(), "third");
  std::vector<std::string> expected{"connect", "text:slow", "slow done", "text:second",
                                    "message:third"};
  EXPECT_EQ(probe_->log, expected);
}

TEST_F(WebsocketConsumerTest, QueuedLayerMessagesKeepTheirContentAcrossSuspensions) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  for (const char* text : {"a", "b", "c"}) {
    run(layer_->send(probe_->channel_name, Value{{"type", "slow.message"}, {"text", text}}));
  }
  ASSERT_TRUE(laurel::testing::run_until(loop(), [&] { return probe_->log.size() == 4; }));
  std::vector<std::string> expected{"connect", "slow message:a", "slow message:b",
                                    "slow message:c"};
  EXPECT_EQ(probe_->log, expected);
}

TEST_F(WebsocketConsumerTest,
       SendsAfterDisconnectAreNoOpsAndTheConsumerLivesUntilItsCoroutineEnds) {
  {
    WebsocketCommunicator comm(app_, "/ws/");
    ASSERT_TRUE(comm.connect().first);
    comm.send_to("slow");
    comm.disconnect(1000);  // while receive() sleeps
  }
  EXPECT_FALSE(probe_->consumer.expired());        // the sleeping coroutine holds it
  EXPECT_EQ(probe_->disconnect_codes.size(), 0u);  // disconnect waits for receive() to end
  ASSERT_TRUE(laurel::testing::run_until(loop(), [&] { return probe_->consumer.expired(); }));
  EXPECT_EQ(probe_->late_sends, std::vector<asgi::SendStatus>{asgi::SendStatus::kDropped});
  EXPECT_EQ(probe_->disconnect_codes, std::vector<int>{1000});
  EXPECT_EQ(layer_->group_size("everyone"), 0u);
}

TEST_F(WebsocketConsumerTest, WithoutAChannelLayerGroupsFailWithAMessageNamingTheFix) {
  channel_layer::set_default_layer(nullptr);
  WebsocketCommunicator comm(app_, "/ws/");
  auto [connected, subprotocol] = comm.connect();
  EXPECT_FALSE(connected);
  EXPECT_NE(probe_->error.find("set_default_layer"), std::string::npos) << probe_->error;
}

TEST_F(WebsocketConsumerTest, ALongBacklogDrainsInALoopNotARecursion) {
  WebsocketCommunicator comm(app_, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_to("slow");  // everything below waits behind this handler
  constexpr int kBacklog = 5000;
  for (int i = 0; i < kBacklog; ++i) {
    run(layer_->send(probe_->channel_name,
                     Value{{"type", "test.message"}, {"text", std::to_string(i)}}));
  }
  EXPECT_EQ(comm.receive_from(), "after sleep");
  for (int i = 0; i < kBacklog; ++i) ASSERT_EQ(comm.receive_from(), std::to_string(i));
}

TEST(AsAsgi, NamesTheConsumerClass) {
  EXPECT_EQ(as_asgi<LifecycleConsumer>(std::make_shared<Probe>())->name(), "LifecycleConsumer");
}

}  // namespace
}  // namespace laurel::consumers::test
