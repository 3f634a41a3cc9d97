// consumers/json_websocket_consumer.cpp

#include "consumers/json_websocket_consumer.h"

namespace laurel::consumers {

Task<void> JsonWebsocketConsumer::receive_json(const asgi::Value&) { co_return; }

asgi::SendStatus JsonWebsocketConsumer::send_json(const asgi::Value& content, bool close) {
  json_buffer_.clear();
  content.append_json(json_buffer_);
  return send(json_buffer_, close);
}

Task<void> JsonWebsocketConsumer::receive(std::string_view text_data) {
  asgi::Value content;
  try {
    content = asgi::Value::from_json(text_data);
  } catch (const asgi::JsonError&) {
    close(kCloseInvalidJson, "invalid JSON");
    co_return;
  }
  co_await receive_json(content);
}

Task<void> JsonWebsocketConsumer::receive_bytes(std::string_view) {
  close(kCloseBinaryFrame, "binary frames are not accepted");
  co_return;
}

}  // namespace laurel::consumers
