// asgi/events.h
#pragma once

// The ASGI events that cross the seam between the server and an application, as plain structs
// rather than dicts: the server and the hot path never build a dict per message. Payloads are
// views: valid only during the call that carries them (copy what you keep). `to_value` gives the
// ASGI dict form for generic code (consumer dispatch by "type", tests, logs).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "asgi/value.h"

namespace laurel::asgi {

// Header pairs, names lower-cased on the way in, order and duplicates kept (ASGI `headers`).
using Headers = std::vector<std::pair<std::string, std::string>>;

// --- server → application ("receive") ---

// http.request: one chunk of the request body; `more_body` says whether more chunks follow.
struct HttpRequest {
  std::string_view body;
  bool more_body = false;
};
// http.disconnect: the client went away, or the response finished and the instance is ending.
struct HttpDisconnect {};
// websocket.connect: a valid handshake arrived; answer with WebsocketAccept or WebsocketClose.
struct WebsocketConnect {};
// websocket.receive: one whole message (fragments already joined, text already UTF-8 checked).
struct WebsocketReceive {
  std::string_view data;
  bool binary = false;  // false: `text`, true: `bytes`
};
// websocket.disconnect: the socket is gone; the code is the peer's (1005 if none was sent,
// 1006 if the connection dropped without a close frame).
struct WebsocketDisconnect {
  int code = 1005;
  std::string_view reason;
};

using ReceiveEvent =
    std::variant<HttpRequest, HttpDisconnect, WebsocketConnect, WebsocketReceive,
                 WebsocketDisconnect>;

// --- application → server ("send") ---

// http.response.start
struct HttpResponseStart {
  int status = 200;
  Headers headers;
};
// http.response.body: `more_body = false` ends the response.
struct HttpResponseBody {
  std::string_view body;
  bool more_body = false;
};
// websocket.accept: completes the handshake (101). `subprotocol` must be one the client offered.
struct WebsocketAccept {
  std::optional<std::string> subprotocol;
  Headers headers;
};
// websocket.send
struct WebsocketSend {
  std::string_view data;
  bool binary = false;
};
// websocket.close: before accept it denies the handshake (HTTP 403); after, it sends a close
// frame with this code and reason and starts the closing handshake.
struct WebsocketClose {
  int code = 1000;
  std::string_view reason;
};
// websocket.http.response.start / .body (ASGI "denial response" extension): before accept, the
// application answers the handshake with its own HTTP response (401 with WWW-Authenticate, ...).
struct WebsocketHttpResponseStart {
  int status = 403;
  Headers headers;
};
struct WebsocketHttpResponseBody {
  std::string_view body;
  bool more_body = false;
};

using SendEvent =
    std::variant<HttpResponseStart, HttpResponseBody, WebsocketAccept, WebsocketSend,
                 WebsocketClose, WebsocketHttpResponseStart, WebsocketHttpResponseBody>;

// What `Peer::send` reports. Sending never blocks; a full buffer is a signal to slow down.
enum class SendStatus {
  kOk,           // queued below the high-water mark
  kBackpressure, // queued, but the connection's outbound buffer is above its high-water mark
  kDropped,      // not sent: the connection is closing or closed, or the event was invalid here
};

// The ASGI dict form, e.g. {"type": "websocket.receive", "text": "hi"}.
Value to_value(const ReceiveEvent& event);
Value to_value(const SendEvent& event);
// The ASGI "type" string of an event.
std::string_view type_of(const ReceiveEvent& event);
std::string_view type_of(const SendEvent& event);

}  // namespace laurel::asgi
