// tests/consumers/idle_consumer_memory_test.cpp
// What an idle, accepted echo WebSocket costs on the application side (scope, consumer, channel
// layer registration), measured as heap growth over many connections. The server's own state is
// budgeted in tests/server/connection_memory_test.cpp.

#include <malloc.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "consumer_test_support.h"
#include "server/scope_builder.h"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (GCC on Debian ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace laurel::consumers::test {
namespace {

// The shape of examples/chat's EchoConsumer (frames echoed inline, no groups, no layer use).
class IdleEcho final : public WebsocketConsumer {
 protected:
  bool receive_inline(std::string_view data, bool binary) override {
    if (binary) {
      send_bytes(data);
    } else {
      send(data);
    }
    return true;
  }
};

// A peer that keeps nothing: the bytes measured are the application's alone.
class NullPeer final : public asgi::Peer {
 public:
  explicit NullPeer(asgi::EventLoop& loop) : loop_(loop) {}
  asgi::SendStatus send(const asgi::SendEvent&) override {
    ++sends;
    return asgi::SendStatus::kOk;
  }
  asgi::EventLoop& loop() override { return loop_; }
  std::size_t sends = 0;

 private:
  asgi::EventLoop& loop_;
};

// The handshake headers laurel-loadgen sends (plus a bearer token, as the benchmark does).
asgi::Headers handshake_headers() {
  return {{"host", "127.0.0.1:8000"},
          {"upgrade", "websocket"},
          {"connection", "Upgrade"},
          {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"sec-websocket-version", "13"},
          {"authorization",
           "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjox"
           "Nzk2NDI3MzQxLCJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dQ"}};
}

// The scope the server's scope builder makes for the benchmark's handshake.
asgi::Scope handshake_scope(int i) {
  server::RequestHead head;
  head.method = "GET";
  head.target = "/ws/echo/";
  head.headers = handshake_headers();
  head.upgrade = true;
  server::ConnectionInfo conn{"127.0.0.1", 40000 + i % 20000, "127.0.0.1", 8000, false};
  server::ClientView client{conn.client_host, conn.client_port, false};
  return server::build_websocket_scope(head, conn, client, "", {});
}

// Bytes handed out by the allocator: ASan's own count under the sanitizer (its allocator
// bypasses glibc's), else glibc's (which adds its chunk headers, as a real server pays).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

class IdleConsumerMemory : public ConsumerTest {};

TEST_F(IdleConsumerMemory, AcceptedEchoSocketStaysSmall) {
  constexpr int kSockets = 2000;
  auto app = as_asgi<IdleEcho>();
  NullPeer peer(loop());
  laurel::testing::ScopedCurrentLoop on_loop(loop());

  // The scope alone first, to say which part a regression is in.
  std::vector<asgi::Scope> scopes;
  scopes.reserve(kSockets);
  std::size_t before_scopes = heap_in_use();
  for (int i = 0; i < kSockets; ++i) scopes.push_back(handshake_scope(i));
  double scope_bytes = static_cast<double>(heap_in_use() - before_scopes) / kSockets;
  scopes.clear();

  std::vector<std::unique_ptr<asgi::Instance>> instances;
  instances.reserve(kSockets);
  std::size_t before = heap_in_use();
  for (int i = 0; i < kSockets; ++i) {
    instances.push_back(app->start(handshake_scope(i), peer));
    instances.back()->receive(asgi::WebsocketConnect{});
  }
  laurel::testing::run_ready(loop());
  std::size_t after = heap_in_use();
  double per_socket = static_cast<double>(after - before) / kSockets;
  std::printf("application heap per idle echo socket: %.0f bytes (scope %.0f, consumer %.0f)\n",
              per_socket, scope_bytes, per_socket - scope_bytes);

  // Every socket was accepted, and still echoes.
  EXPECT_EQ(peer.sends, static_cast<std::size_t>(kSockets));
  instances.back()->receive(asgi::WebsocketReceive{"ping", false});
  EXPECT_EQ(peer.sends, static_cast<std::size_t>(kSockets) + 1);
  instances.clear();
  laurel::testing::run_ready(loop());
  // The consumer's share (instance, Consumer object, no channel name or layer registration
  // until it asks for one): was 2.6 KB with an eager name, registration and deque. The scope
  // (ASGI dicts and header pairs, ~40 small allocations) is 3.4 KB of requested bytes.
  EXPECT_LE(per_socket - scope_bytes, 1024.0);
  EXPECT_LE(scope_bytes, 4096.0);
}

TEST_F(IdleConsumerMemory, ChannelNameIsMadeOnFirstUseAndReachable) {
  // A consumer that never asked for its channel name has none registered; the first call makes
  // one that layer messages reach, and later calls return the same name.
  struct Named final : WebsocketConsumer {
    explicit Named(ProbePtr probe) : probe_(std::move(probe)) {
      handle("probe.ping", &Named::ping);
    }
    Task<void> connect() override {
      probe_->consumer = weak_from_this();
      accept();
      co_return;
    }
    Task<void> ping(const asgi::Value&) {
      probe_->log.push_back("ping");
      co_return;
    }
    ProbePtr probe_;
  };
  auto app = as_asgi<Named>(probe_);
  NullPeer peer(loop());
  laurel::testing::ScopedCurrentLoop on_loop(loop());
  auto instance = app->start(laurel::testing::make_scope("websocket", "/ws/", {}), peer);
  instance->receive(asgi::WebsocketConnect{});
  laurel::testing::run_ready(loop());
  auto consumer = probe_->consumer.lock();
  ASSERT_TRUE(consumer);
  std::string name = consumer->channel_name();
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(consumer->channel_name(), name);
  consumer.reset();
  asgi::Value message = asgi::Value::dict();
  message["type"] = "probe.ping";
  laurel::testing::run_until_complete(layer_->send(name, std::move(message)));
  laurel::testing::run_until(loop(), [&] { return !probe_->log.empty(); });
  EXPECT_EQ(probe_->log, std::vector<std::string>{"ping"});
  EXPECT_EQ(layer_->queued(name), 0u);
}

}  // namespace
}  // namespace laurel::consumers::test
