// tests/server/server_loop_websocket_test.cpp
// WebSockets through the whole server (server_loop_support.h): echo and close codes,
// subprotocols, the handshake answered or refused by the application, keepalive pings, and
// backpressure on clients too slow to read.

#include <gtest/gtest.h>

#include "tests/server/server_loop_support.h"

namespace laurel::server::server_loop_test {
namespace {

TEST_F(ServerLoop, EchoesWebsocketMessagesAndReportsThePeersCloseCode) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws/echo/?ticket=abc", "other, chat"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 101);
  EXPECT_NE(r.head.find("Sec-WebSocket-Protocol: chat"), std::string::npos);
  // Two frames in one write, then a binary one.
  c.send_all(client_frame(0x1, "hello") + client_frame(0x1, "world"));
  c.send_all(client_frame(0x2, std::string("\x00\x01\x02", 3)));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "hello"}));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "world"}));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x2, std::string("\x00\x01\x02", 3)}));
  c.send_all(client_frame(0x8, close_payload(4321)));
  auto close = c.read_frame();
  EXPECT_EQ(close.first, 0x8);
  EXPECT_EQ(close_code_of(close.second), 4321);
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 4321);
  EXPECT_EQ(counters_.ws_connects, 1);
  EXPECT_EQ(counters_.ws_receives, 3);
}

TEST_F(ServerLoop, HandsTheConnectionOverToTheInstanceAStandInStarted) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws/handover/"));
  ASSERT_EQ(c.read_response().status, 101);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.handed_over == 1; }));
  // Frames now reach the echo instance alone: the stand-in is gone and forwards nothing.
  c.send_all(client_frame(0x1, "hello"));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "hello"}));
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 1; }));
  c.send_all(client_frame(0x8, close_payload(1000)));
  EXPECT_EQ(c.read_frame().first, 0x8);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.ws_connects, 1);
  EXPECT_EQ(counters_.ws_receives, 1);
}

TEST_F(ServerLoop, DoesNotSendASubprotocolTheClientDidNotOffer) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/force-chat", "other"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 101);
  EXPECT_EQ(r.head.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST_F(ServerLoop, ReportsADroppedConnectionAs1006) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.abort_connection();
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 1006);
}

TEST_F(ServerLoop, ClosesFromTheApplicationWithItsCode) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.send_all(client_frame(0x1, "close-please"));
  auto close = c.read_frame();
  EXPECT_EQ(close.first, 0x8);
  EXPECT_EQ(close_code_of(close.second), 4000);
  c.send_all(client_frame(0x8, close_payload(4000)));
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 4000);
}

TEST_F(ServerLoop, DeniesAHandshakeClosedBeforeAcceptWith403) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/deny"));
  EXPECT_EQ(c.read_response().status, 403);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
}

TEST_F(ServerLoop, SendsTheApplicationsDenialResponse) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/denyhttp"));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.head.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_EQ(r.body, "log in first");
}

TEST_F(ServerLoop, RefusesAHandshakeTheApplicationDoesNotAnswerInTime) {
  ServerConfig config;
  config.websocket_connect_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/silent"));
  EXPECT_EQ(c.read_response().status, 403);
}

TEST_F(ServerLoop, DoesNotPassFramesSentBeforeTheAcceptToASilentApplication) {
  ServerConfig config;
  config.websocket_connect_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/silent") + client_frame(0x1, "early"));
  EXPECT_EQ(c.read_response().status, 403);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.ws_receives, 0);
}

TEST_F(ServerLoop, PingsIdleWebsocketsAndClosesThoseThatDoNotAnswer) {
  ServerConfig config;
  config.ping_interval = 50ms;
  config.ping_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  auto ping = c.read_frame();
  EXPECT_EQ(ping.first, 0x9);
  // No pong: the server gives up on us.
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 1006);
}

TEST_F(ServerLoop, KeepsWebsocketsThatAnswerPings) {
  ServerConfig config;
  config.ping_interval = 30ms;
  config.ping_timeout = 60ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  for (int i = 0; i < 4; ++i) {
    auto ping = c.read_frame();
    ASSERT_EQ(ping.first, 0x9);
    c.send_all(client_frame(0xA, ping.second));
  }
  // Still open and serving after several ping intervals and timeouts.
  c.send_all(client_frame(0x1, "alive"));
  std::pair<int, std::string> frame;
  while ((frame = c.read_frame()).first == 0x9) c.send_all(client_frame(0xA, frame.second));
  EXPECT_EQ(frame, (std::pair<int, std::string>{0x1, "alive"}));
  EXPECT_EQ(counters_.ws_disconnects, 0);
}

TEST_F(ServerLoop, ReportsBackpressureAndClosesClientsTooSlowToRead) {
  ServerConfig config;
  config.outbound_high_water = 256 * 1024;
  config.max_outbound_bytes = 1024 * 1024;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.send_all(client_frame(0x1, "flood"));
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.sent_dropped > 0; }));
  // Each frame is 65536 + 10 header bytes. Three fit under the high-water mark; up to the
  // bound twelve more are queued with kBackpressure; the rest are refused.
  EXPECT_EQ(counters_.sent_ok, 3);
  EXPECT_EQ(counters_.sent_backpressure, 12);
  EXPECT_EQ(counters_.sent_dropped, 85);
  // The client finally reads: what had already gone to the kernel, then the close frame with
  // 1008 (frames still queued in the server were dropped so that the close comes next).
  int messages = 0;
  std::pair<int, std::string> frame;
  while ((frame = c.read_frame()).first == 0x2) ++messages;
  EXPECT_LE(messages, 15);
  EXPECT_EQ(frame.first, 0x8);
  EXPECT_EQ(close_code_of(frame.second), 1008);
}

}  // namespace
}  // namespace laurel::server::server_loop_test
