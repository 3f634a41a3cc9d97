// consumers/websocket_consumer.cpp

#include "consumers/websocket_consumer.h"

#include <cstdio>

namespace laurel::consumers {

Task<void> WebsocketConsumer::connect() {
  accept();
  co_return;
}

Task<void> WebsocketConsumer::receive(std::string_view) { co_return; }
Task<void> WebsocketConsumer::receive_bytes(std::string_view) { co_return; }
Task<void> WebsocketConsumer::disconnect(int) { co_return; }

void WebsocketConsumer::accept(std::optional<std::string> subprotocol, asgi::Headers headers) {
  if (accepted_ || closed_) return;
  if (send_event(asgi::WebsocketAccept{std::move(subprotocol), std::move(headers)}) !=
      asgi::SendStatus::kDropped) {
    accepted_ = true;
  }
}

asgi::SendStatus WebsocketConsumer::send(std::string_view text_data, bool close_after) {
  // The view goes straight to the server, which copies it into its frame buffer.
  auto status = send_event(asgi::WebsocketSend{text_data, false});
  if (close_after) close();
  return status;
}

asgi::SendStatus WebsocketConsumer::send_bytes(std::string_view bytes_data, bool close_after) {
  auto status = send_event(asgi::WebsocketSend{bytes_data, true});
  if (close_after) close();
  return status;
}

void WebsocketConsumer::close(int code, std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  send_event(asgi::WebsocketClose{code, reason});
}

Task<void> WebsocketConsumer::websocket_connect() {
  for (const auto& group : groups_) {
    co_await channel_layer().group_add(group, channel_name());
  }
  try {
    co_await connect();
  } catch (const AcceptConnection&) {
    accept();
  } catch (const DenyConnection&) {
    close();
  }
}

Task<void> WebsocketConsumer::websocket_disconnect(int code) {
  // Leave every group even if one discard fails (Redis down): the others must not keep
  // delivering to a dead channel until group expiry.
  if (has_channel_layer()) {
    for (const auto& group : groups_) {
      try {
        co_await channel_layer().group_discard(group, channel_name());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "laurel: %s: leaving group %s failed: %s\n", class_name().c_str(),
                     group.c_str(), e.what());
      }
    }
  }
  try {
    co_await disconnect(code);
  } catch (...) {
    finish();
    throw;
  }
  finish();
}

Task<void> WebsocketConsumer::handle_event(asgi::ReceiveEvent event) {
  if (auto* frame = std::get_if<asgi::WebsocketReceive>(&event)) {
    return frame->binary ? receive_bytes(frame->data) : receive(frame->data);
  }
  if (std::holds_alternative<asgi::WebsocketConnect>(event)) return websocket_connect();
  if (auto* gone = std::get_if<asgi::WebsocketDisconnect>(&event)) {
    closed_ = true;
    return websocket_disconnect(gone->code);
  }
  return Consumer::handle_event(event);
}

bool WebsocketConsumer::handle_event_inline(const asgi::ReceiveEvent& event) {
  auto* frame = std::get_if<asgi::WebsocketReceive>(&event);
  return frame != nullptr && receive_inline(frame->data, frame->binary);
}

void WebsocketConsumer::on_detached() {
  // The server let go without websocket.disconnect (it should not): still leave the groups and
  // run disconnect(), with 1006 ("closed abnormally").
  on_event(asgi::WebsocketDisconnect{1006, {}});
}

void WebsocketConsumer::fail() { close(kCloseInternalError); }

}  // namespace laurel::consumers
