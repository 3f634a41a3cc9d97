// examples/chat/chat_pages.h
#pragma once

// The demo's two pages, served by small HttpConsumers, plain HTML+JS with nothing to build or
// fetch from elsewhere: the front page (a login form that posts JSON to /auth/login with Django's
// CSRF double submit, then the Channels tutorial lobby: pick a room) and the room page (the
// tutorial's log, input and send button on /ws/chat/<room_name>/, with connection state,
// reconnection with backoff and jitter, the sender of each message, and a logout button).

#include <string_view>

#include "consumers/http_consumer.h"

namespace laurel::chat {

// GET / : log in, then choose a room.
class LobbyPage final : public consumers::HttpConsumer {
 public:
  Task<void> handle(std::string_view body) override;
};

// GET /chat/<room_name>/ : the room.
class RoomPage final : public consumers::HttpConsumer {
 public:
  Task<void> handle(std::string_view body) override;
};

// The pages' text, for tests that check what is served.
std::string_view lobby_page_html();
std::string_view room_page_html();

}  // namespace laurel::chat
