// examples/chat/chat_consumer.h
#pragma once

// The Channels tutorial's chat consumer, ported line by line (compare docs/porting.md), and the
// echo consumer behind /ws/echo/ that conformance tests and the benchmark use.

#include <string>
#include <string_view>

#include "consumers/websocket_consumer.h"

namespace laurel::chat {

// /ws/chat/<room_name>/: every text frame {"message": ...} goes to the room's group
// "chat_<room_name>" as {"type": "chat.message", "message": ..., "user": ...}, and every member
// sends {"message": ..., "user": ...} to its client. A Python consumer on the same Redis layer
// is a member like any other.
class ChatConsumer : public consumers::WebsocketConsumer {
 public:
  ChatConsumer();

  Task<void> connect() override;
  Task<void> disconnect(int close_code) override;
  // Receive message from WebSocket.
  Task<void> receive(std::string_view text_data) override;
  // Receive message from room group.
  Task<void> chat_message(const asgi::Value& event);

 private:
  std::string room_name_;
  std::string room_group_name_;
  std::string username_;
};

// /ws/echo/: text back as text, binary back as binary, with no coroutine, no copy and no
// allocation per frame: the frame's view goes straight back to the server.
class EchoConsumer final : public consumers::WebsocketConsumer {
 protected:
  bool receive_inline(std::string_view data, bool binary) override;
};

// The username scope["user"] carries (an auth::User, or a plain string / {"username": ...} dict
// set by a test), or "anonymous".
std::string username_from_scope(const asgi::Scope& scope);

}  // namespace laurel::chat
