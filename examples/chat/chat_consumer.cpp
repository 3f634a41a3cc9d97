// examples/chat/chat_consumer.cpp

#include "examples/chat/chat_consumer.h"

#include "auth/user_store.h"

namespace laurel::chat {

ChatConsumer::ChatConsumer() { handle("chat.message", &ChatConsumer::chat_message); }

Task<void> ChatConsumer::connect() {
  room_name_ = url_kwarg("room_name");
  room_group_name_ = "chat_" + room_name_;
  username_ = username_from_scope(scope());

  // Join room group
  co_await channel_layer().group_add(room_group_name_, channel_name());
  accept();
}

Task<void> ChatConsumer::disconnect(int close_code) {
  // Leave room group (connect() may have failed before joining: nothing to leave then)
  if (room_group_name_.empty()) co_return;
  co_await channel_layer().group_discard(room_group_name_, channel_name());
}

Task<void> ChatConsumer::receive(std::string_view text_data) {
  const asgi::Value text_data_json = asgi::Value::from_json(text_data);
  asgi::Value message = text_data_json["message"];

  // Send message to room group
  asgi::Value event{{"type", "chat.message"}, {"message", std::move(message)}, {"user", username_}};
  co_await channel_layer().group_send(room_group_name_, std::move(event));
}

Task<void> ChatConsumer::chat_message(const asgi::Value& event) {
  asgi::Value out{{"message", event["message"]}};
  // A Python sender on the same layer may leave "user" out.
  if (const asgi::Value* user = event.find("user")) out["user"] = *user;

  // Send message to WebSocket
  send(out.to_json());
  co_return;
}

bool EchoConsumer::receive_inline(std::string_view data, bool binary) {
  if (binary) {
    send_bytes(data);
  } else {
    send(data);
  }
  return true;
}

std::string username_from_scope(const asgi::Scope& scope) {
  if (const asgi::Value* user = scope.find("user")) {
    if (auto account = user->as<auth::User>()) {
      if (account->is_authenticated() && !account->username.empty()) return account->username;
    } else if (user->is_string() && !std::string(user->as_string()).empty()) {
      return std::string(user->as_string());
    } else if (user->is_dict() && !user->get_string("username").empty()) {
      return std::string(user->get_string("username"));
    }
  }
  return "anonymous";
}

}  // namespace laurel::chat
