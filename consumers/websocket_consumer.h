// consumers/websocket_consumer.h
#pragma once

// Channels' AsyncWebsocketConsumer: connect / receive / disconnect as coroutines, accept, send,
// close, the groups_ joined on connect and left on disconnect, and layer messages dispatched to
// the handlers registered by type. Sends after the socket has gone are no-ops, and disconnect()
// always runs, after the groups have been left, even when the connection failed half-way.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "consumers/consumer.h"

namespace laurel::consumers {

// Thrown from connect() to accept or deny the connection (Channels' exceptions of these names).
class AcceptConnection : public std::exception {
 public:
  const char* what() const noexcept override { return "AcceptConnection"; }
};
class DenyConnection : public std::exception {
 public:
  const char* what() const noexcept override { return "DenyConnection"; }
};

class WebsocketConsumer : public Consumer {
 public:
  // RFC 6455 §7.4.1: an unexpected condition (an unhandled exception, a message type without
  // handler) closes the socket with 1011, as Daphne does when a consumer raises.
  static constexpr int kCloseInternalError = 1011;

  // Called on websocket.connect after groups_ were joined. The default accepts.
  virtual Task<void> connect();
  // A text frame (receive(text_data=...)) and a binary frame (receive(bytes_data=...)). The
  // view is valid until the coroutine ends.
  virtual Task<void> receive(std::string_view text_data);
  virtual Task<void> receive_bytes(std::string_view bytes_data);
  // Called once when the socket has gone, after groups_ were left. Sending does nothing here.
  virtual Task<void> disconnect(int code);

  // Completes the handshake; `subprotocol` must be one the client offered.
  void accept(std::optional<std::string> subprotocol = std::nullopt, asgi::Headers headers = {});
  // A text / binary frame to the client; `close` then closes with 1000 (Channels' close=True).
  asgi::SendStatus send(std::string_view text_data, bool close = false);
  asgi::SendStatus send_bytes(std::string_view bytes_data, bool close = false);
  // Before accept: denies the handshake (HTTP 403). After: a close frame with code and reason.
  void close(int code = 1000, std::string_view reason = {});

  bool accepted() const { return accepted_; }

 protected:
  // The hot path without a coroutine frame: handle a frame synchronously and return true, or
  // return false to have receive()/receive_bytes() called. The echo consumer uses it.
  virtual bool receive_inline(std::string_view data, bool binary) { return false; }

  // websocket.connect / websocket.disconnect as Channels' base class handles them.
  virtual Task<void> websocket_connect();
  virtual Task<void> websocket_disconnect(int code);

  Task<void> handle_event(asgi::ReceiveEvent event) override;
  bool handle_event_inline(const asgi::ReceiveEvent& event) override;
  void on_detached() override;
  void fail() override;

 private:
  bool accepted_ = false;
  bool closed_ = false;
};

}  // namespace laurel::consumers
