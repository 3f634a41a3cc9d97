// tests/middleware/async_middleware_test.cpp
#include "middleware/async_middleware.h"

#include <gtest/gtest.h>

#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "asgi/instance_slot.h"
#include "testing/recording_peer.h"
#include "testing/run_loop.h"
#include "testing/websocket_communicator.h"

namespace laurel::middleware {
namespace {

using Log = std::vector<std::string>;

// Holds a resolution until the test opens it, so the test decides when the lookup completes.
struct Gate {
  std::coroutine_handle<> waiting;
  bool open = false;
  bool fail = false;
  std::optional<Denial> answer;

  auto wait() {
    struct Awaiter {
      Gate& gate;
      bool await_ready() const noexcept { return gate.open; }
      void await_suspend(std::coroutine_handle<> h) noexcept { gate.waiting = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }
  void release() {
    open = true;
    if (auto h = std::exchange(waiting, {})) h.resume();
  }
};

// Resolves at once without a gate; with one, when it opens (or through the thread pool).
class GatedMiddleware final : public AsyncMiddleware {
 public:
  GatedMiddleware(asgi::ApplicationPtr inner, std::shared_ptr<Gate> gate, bool via_pool = false)
      : AsyncMiddleware(std::move(inner)), gate_(std::move(gate)), via_pool_(via_pool) {}
  std::string name() const override { return "GatedMiddleware"; }

 protected:
  Task<std::optional<Denial>> resolve(asgi::Scope& scope, asgi::EventLoop& loop) const override {
    if (via_pool_) co_await run_blocking(loop, [] { return 0; });
    if (gate_) {
      co_await gate_->wait();
      if (gate_->fail) throw std::runtime_error("lookup failed");
      if (gate_->answer) co_return gate_->answer;
    }
    scope["resolved"] = true;
    co_return std::nullopt;
  }

 private:
  std::shared_ptr<Gate> gate_;
  bool via_pool_;
};

std::string text_of(const asgi::ReceiveEvent& event) {
  if (const auto* frame = std::get_if<asgi::WebsocketReceive>(&event)) {
    return "receive " + std::string(frame->data);
  }
  if (std::holds_alternative<asgi::WebsocketConnect>(event)) return "connect";
  if (std::holds_alternative<asgi::WebsocketDisconnect>(event)) return "disconnect";
  return "other";
}

// The innermost application: logs what its instances receive; accepts on connect.
struct Leaf final : asgi::Application {
  class LeafInstance final : public asgi::Instance {
   public:
    LeafInstance(Leaf& app, asgi::Peer& peer) : app_(app), peer_(peer) {}
    void receive(const asgi::ReceiveEvent& event) override {
      app_.log.push_back(text_of(event));
      if (std::holds_alternative<asgi::WebsocketConnect>(event))
        peer_.send(asgi::WebsocketAccept{});
      if (app_.on_receive) app_.on_receive(event);
    }

   private:
    Leaf& app_;
    asgi::Peer& peer_;
  };

  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    ++starts;
    resolved = scope.find("resolved") != nullptr;
    return std::make_unique<LeafInstance>(*this, peer);
  }

  Log log;
  int starts = 0;
  bool resolved = false;
  std::function<void(const asgi::ReceiveEvent&)> on_receive;
};

bool is_leaf(const asgi::Instance* instance) {
  return dynamic_cast<const Leaf::LeafInstance*>(instance) != nullptr;
}

asgi::Scope websocket_scope() { return asgi::Value{{"type", "websocket"}, {"path", "/ws/"}}; }

// An owner as the server is one: a slot that holds the instance and a peer that swaps it.
struct Owner {
  asgi::InstanceSlot slot;
  testing::RecordingPeer peer{testing::default_loop(), &slot};
  void start(asgi::Application& app) { slot.reset(app.start(websocket_scope(), peer)); }
};

TEST(AsyncMiddleware, ResolvedWithoutWaitingReturnsTheInnerInstanceItself) {
  auto leaf = std::make_shared<Leaf>();
  GatedMiddleware middleware(leaf, nullptr);
  Owner owner;
  owner.start(middleware);
  EXPECT_TRUE(is_leaf(owner.slot.get()));
  EXPECT_TRUE(leaf->resolved);
}

TEST(AsyncMiddleware, DeniedWithoutWaitingReturnsNoInstance) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  gate->open = true;
  gate->answer = Denial::forbidden();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  EXPECT_FALSE(owner.slot);
  EXPECT_EQ(leaf->starts, 0);
  ASSERT_FALSE(owner.peer.outputs().empty());
  EXPECT_EQ(owner.peer.outputs().front()["status"].as_int(), 403);
}

TEST(AsyncMiddleware, OnceResolvedTheOwnerHoldsTheInnerInstance) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  EXPECT_FALSE(is_leaf(owner.slot.get()));  // a stand-in holds events meanwhile
  owner.slot.receive(asgi::WebsocketConnect{});
  owner.slot.receive(asgi::WebsocketReceive{"a", false});
  EXPECT_EQ(leaf->starts, 0);

  gate->release();
  EXPECT_TRUE(is_leaf(owner.slot.get()));
  EXPECT_TRUE(leaf->resolved);
  owner.slot.receive(asgi::WebsocketReceive{"b", false});
  EXPECT_EQ(leaf->log, (Log{"connect", "receive a", "receive b"}));
}

TEST(AsyncMiddleware, EventsArrivingDuringTheReplayQueueBehindTheHeldOnes) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  owner.slot.receive(asgi::WebsocketConnect{});
  owner.slot.receive(asgi::WebsocketReceive{"a", false});
  owner.slot.receive(asgi::WebsocketReceive{"b", false});
  // Accepting may let the server read frames it had buffered while the inner instance is still
  // handling the held connect: they must come after "a" and "b", not in between.
  leaf->on_receive = [&](const asgi::ReceiveEvent& event) {
    if (std::holds_alternative<asgi::WebsocketConnect>(event)) {
      owner.slot.receive(asgi::WebsocketReceive{"c", false});
    }
  };
  gate->release();
  leaf->on_receive = nullptr;
  EXPECT_EQ(leaf->log, (Log{"connect", "receive a", "receive b", "receive c"}));
  EXPECT_TRUE(is_leaf(owner.slot.get()));
}

TEST(AsyncMiddleware, ChainedMiddlewareHandsOverTwice) {
  auto leaf = std::make_shared<Leaf>();
  auto inner_gate = std::make_shared<Gate>();
  auto outer_gate = std::make_shared<Gate>();
  auto inner = std::make_shared<GatedMiddleware>(leaf, inner_gate);
  GatedMiddleware outer(inner, outer_gate);
  Owner owner;
  owner.start(outer);
  asgi::Instance* outer_stand_in = owner.slot.get();
  owner.slot.receive(asgi::WebsocketConnect{});

  outer_gate->release();
  EXPECT_NE(owner.slot.get(), outer_stand_in);  // the inner middleware's stand-in now
  EXPECT_FALSE(is_leaf(owner.slot.get()));
  owner.slot.receive(asgi::WebsocketReceive{"a", false});

  inner_gate->release();
  EXPECT_TRUE(is_leaf(owner.slot.get()));
  owner.slot.receive(asgi::WebsocketReceive{"b", false});
  EXPECT_EQ(leaf->log, (Log{"connect", "receive a", "receive b"}));
}

TEST(AsyncMiddleware, AnOwnerThatCannotSwapKeepsGettingEventsThroughTheStandIn) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  GatedMiddleware middleware(leaf, gate);
  testing::RecordingPeer peer(testing::default_loop());  // like a wrapper: holds no slot
  std::unique_ptr<asgi::Instance> instance = middleware.start(websocket_scope(), peer);
  instance->receive(asgi::WebsocketConnect{});
  gate->release();
  EXPECT_FALSE(is_leaf(instance.get()));
  instance->receive(asgi::WebsocketReceive{"a", false});
  instance->receive(asgi::WebsocketDisconnect{1000, {}});
  EXPECT_EQ(leaf->log, (Log{"connect", "receive a", "disconnect"}));
}

TEST(AsyncMiddleware, AClientThatLeftBeforeResolutionNeverStartsTheInnerApplication) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  owner.slot.receive(asgi::WebsocketConnect{});
  owner.slot.receive(asgi::WebsocketDisconnect{1006, {}});
  owner.slot.reset();  // the server ends the instance after the disconnect
  gate->release();
  EXPECT_EQ(leaf->starts, 0);
  EXPECT_TRUE(owner.peer.outputs().empty());
}

TEST(AsyncMiddleware, ADisconnectHeldUntilResolutionStartsNothing) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  owner.slot.receive(asgi::WebsocketConnect{});
  owner.slot.receive(asgi::WebsocketDisconnect{1006, {}});
  gate->release();
  EXPECT_EQ(leaf->starts, 0);
  EXPECT_FALSE(is_leaf(owner.slot.get()));
}

TEST(AsyncMiddleware, ADenialIsSentAndLaterEventsGoNowhere) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  gate->answer = Denial::forbidden();
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  owner.slot.receive(asgi::WebsocketConnect{});
  gate->release();
  ASSERT_FALSE(owner.peer.outputs().empty());
  EXPECT_EQ(owner.peer.outputs().front().get_string("type"), "websocket.http.response.start");
  EXPECT_EQ(owner.peer.outputs().front()["status"].as_int(), 403);
  owner.slot.receive(asgi::WebsocketDisconnect{1006, {}});
  EXPECT_EQ(leaf->starts, 0);
}

TEST(AsyncMiddleware, AFailedResolutionAnswers500) {
  auto leaf = std::make_shared<Leaf>();
  auto gate = std::make_shared<Gate>();
  gate->fail = true;
  GatedMiddleware middleware(leaf, gate);
  Owner owner;
  owner.start(middleware);
  owner.slot.receive(asgi::WebsocketConnect{});
  gate->release();
  ASSERT_FALSE(owner.peer.outputs().empty());
  EXPECT_EQ(owner.peer.outputs().front()["status"].as_int(), 500);
  EXPECT_EQ(leaf->starts, 0);
}

TEST(AsyncMiddleware, TheCommunicatorHoldsTheInnerInstanceOnceResolved) {
  auto leaf = std::make_shared<Leaf>();
  testing::WebsocketCommunicator comm(
      std::make_shared<GatedMiddleware>(leaf, nullptr, /*via_pool=*/true), "/ws/");
  auto [connected, subprotocol] = comm.connect();
  EXPECT_TRUE(connected);
  EXPECT_TRUE(is_leaf(comm.instance()));
  comm.send_to("a");
  comm.disconnect();
  EXPECT_EQ(leaf->log, (Log{"connect", "receive a", "disconnect"}));
}

}  // namespace
}  // namespace laurel::middleware
