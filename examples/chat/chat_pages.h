// examples/chat/chat_pages.h
#pragma once

// The two pages of the Channels tutorial, served by small HttpConsumers: the lobby (pick a room)
// and the room (a log, an input, and the WebSocket that joins /ws/chat/<room_name>/).

#include "consumers/http_consumer.h"

namespace laurel::chat {

class LobbyPage final : public consumers::HttpConsumer {
 public:
  Task<void> handle(std::string_view body) override;
};

class RoomPage final : public consumers::HttpConsumer {
 public:
  Task<void> handle(std::string_view body) override;
};

}  // namespace laurel::chat
