// tests/server/connection_memory_test.cpp
// The per-connection state an idle WebSocket keeps must stay within laurel's budget (2 KiB of
// server memory per idle socket, the application's instance aside).

#include <gtest/gtest.h>

#include "server/connection.h"
#include "server/websocket_session.h"

namespace laurel::server {
namespace {

TEST(ConnectionMemory, IdleWebsocketStateFitsTheBudget) {
  // The allocator rounds each object up a little; leave it a margin.
  constexpr std::size_t kAllocatorSlack = 64;
  std::size_t idle = sizeof(Connection) + sizeof(WebsocketSession) + 2 * kAllocatorSlack;
  EXPECT_LE(idle, 2048u) << "Connection " << sizeof(Connection) << " + WebsocketSession "
                         << sizeof(WebsocketSession);
}

TEST(ConnectionMemory, ServerObjectsOfAnIdleWebsocketStaySmall) {
  // The application's instance, its scope and the middleware take most of the 2 KiB: the
  // server's share is kept to what an open socket needs (the libuv stream handle is 248 B of
  // the connection). Today 424 + 160 B on x86-64, each just under a step of the allocator's
  // 16-byte size classes: growing either by a byte costs every idle socket 16.
  EXPECT_LE(sizeof(Connection), 424u);
  EXPECT_LE(sizeof(WebsocketSession), 160u);
}

}  // namespace
}  // namespace laurel::server
