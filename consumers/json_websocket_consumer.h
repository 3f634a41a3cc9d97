// consumers/json_websocket_consumer.h
#pragma once

// Channels' AsyncJsonWebsocketConsumer: text frames are parsed as JSON and handed to
// receive_json(); send_json() encodes. Input a JSON consumer cannot use closes the socket with a
// code that tells the client why (Channels raises ValueError instead, which ends in 1011):
//   - a text frame that is not valid JSON  → 1007 (RFC 6455 §7.4.1: data inconsistent with the
//     type of the message)
//   - a binary frame                       → 1003 (RFC 6455 §7.4.1: a type of data the
//     endpoint cannot accept)

#include "consumers/websocket_consumer.h"

namespace laurel::consumers {

class JsonWebsocketConsumer : public WebsocketConsumer {
 public:
  static constexpr int kCloseInvalidJson = 1007;
  static constexpr int kCloseBinaryFrame = 1003;

  // Called with each decoded message; `content` lives until the coroutine ends.
  virtual Task<void> receive_json(const asgi::Value& content);
  // Encodes `content` as JSON (into a buffer reused across calls) and sends it as text.
  asgi::SendStatus send_json(const asgi::Value& content, bool close = false);

  Task<void> receive(std::string_view text_data) override;
  Task<void> receive_bytes(std::string_view bytes_data) override;

 private:
  std::string json_buffer_;
};

}  // namespace laurel::consumers
