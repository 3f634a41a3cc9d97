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

}  // namespace
}  // namespace laurel::server
