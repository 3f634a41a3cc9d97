// asgi/events.cpp — the ASGI dict form and "type" of each event, for generic code, tests and logs.

#include "asgi/events.h"

#include <type_traits>

namespace laurel::asgi {

namespace {

template <class>
constexpr bool kAlwaysFalse = false;

// ASGI headers: a list of [name, value] pairs of bytes.
Value headers_value(const Headers& headers) {
  List out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    out.push_back(Value::list({Bytes{name}, Bytes{value}}));
  }
  return Value(std::move(out));
}

// websocket.receive / websocket.send carry exactly one of `text` (str) and `bytes`.
Value message_value(std::string_view type, std::string_view data, bool binary) {
  Dict v;
  v.reserve(2);
  v.emplace("type", type);
  // Emplaced, not listed in a literal: an initializer list would copy the payload once more.
  if (binary) {
    v.emplace("bytes", Bytes{std::string(data)});
  } else {
    v.emplace("text", data);
  }
  return Value(std::move(v));
}

}  // namespace

std::string_view type_of(const ReceiveEvent& event) {
  return std::visit(
      [](const auto& e) -> std::string_view {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, HttpRequest>)
          return "http.request";
        else if constexpr (std::is_same_v<E, HttpDisconnect>)
          return "http.disconnect";
        else if constexpr (std::is_same_v<E, WebsocketConnect>)
          return "websocket.connect";
        else if constexpr (std::is_same_v<E, WebsocketReceive>)
          return "websocket.receive";
        else if constexpr (std::is_same_v<E, WebsocketDisconnect>)
          return "websocket.disconnect";
        else
          static_assert(kAlwaysFalse<E>, "unhandled receive event");
      },
      event);
}

std::string_view type_of(const SendEvent& event) {
  return std::visit(
      [](const auto& e) -> std::string_view {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, HttpResponseStart>)
          return "http.response.start";
        else if constexpr (std::is_same_v<E, HttpResponseBody>)
          return "http.response.body";
        else if constexpr (std::is_same_v<E, WebsocketAccept>)
          return "websocket.accept";
        else if constexpr (std::is_same_v<E, WebsocketSend>)
          return "websocket.send";
        else if constexpr (std::is_same_v<E, WebsocketClose>)
          return "websocket.close";
        else if constexpr (std::is_same_v<E, WebsocketHttpResponseStart>)
          return "websocket.http.response.start";
        else if constexpr (std::is_same_v<E, WebsocketHttpResponseBody>)
          return "websocket.http.response.body";
        else
          static_assert(kAlwaysFalse<E>, "unhandled send event");
      },
      event);
}

Value to_value(const ReceiveEvent& event) {
  std::string_view type = type_of(event);
  return std::visit(
      [type](const auto& e) -> Value {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, HttpRequest>) {
          return Value{
              {"type", type}, {"body", Bytes{std::string(e.body)}}, {"more_body", e.more_body}};
        } else if constexpr (std::is_same_v<E, WebsocketReceive>) {
          return message_value(type, e.data, e.binary);
        } else if constexpr (std::is_same_v<E, WebsocketDisconnect>) {
          return Value{{"type", type}, {"code", e.code}, {"reason", e.reason}};
        } else {
          return Value{{"type", type}};
        }
      },
      event);
}

Value to_value(const SendEvent& event) {
  std::string_view type = type_of(event);
  return std::visit(
      [type](const auto& e) -> Value {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, HttpResponseStart> ||
                      std::is_same_v<E, WebsocketHttpResponseStart>) {
          return Value{{"type", type}, {"status", e.status}, {"headers", headers_value(e.headers)}};
        } else if constexpr (std::is_same_v<E, HttpResponseBody> ||
                             std::is_same_v<E, WebsocketHttpResponseBody>) {
          return Value{
              {"type", type}, {"body", Bytes{std::string(e.body)}}, {"more_body", e.more_body}};
        } else if constexpr (std::is_same_v<E, WebsocketAccept>) {
          return Value{{"type", type},
                       {"subprotocol", e.subprotocol ? Value(*e.subprotocol) : Value()},
                       {"headers", headers_value(e.headers)}};
        } else if constexpr (std::is_same_v<E, WebsocketSend>) {
          return message_value(type, e.data, e.binary);
        } else if constexpr (std::is_same_v<E, WebsocketClose>) {
          return Value{{"type", type}, {"code", e.code}, {"reason", e.reason}};
        } else {
          static_assert(kAlwaysFalse<E>, "unhandled send event");
        }
      },
      event);
}

}  // namespace laurel::asgi
