// testing/recording_peer.cpp

#include "testing/recording_peer.h"

namespace laurel::testing {

asgi::SendStatus RecordingPeer::send(const asgi::SendEvent& event) {
  ++sends_;
  if (finished_) return asgi::SendStatus::kDropped;
  if (std::holds_alternative<asgi::WebsocketClose>(event)) finished_ = true;
  if (auto* body = std::get_if<asgi::HttpResponseBody>(&event); body && !body->more_body) {
    finished_ = true;
  }
  if (auto* body = std::get_if<asgi::WebsocketHttpResponseBody>(&event); body && !body->more_body) {
    finished_ = true;
  }
  outputs_.push_back(asgi::to_value(event));  // owns the bytes: the event's views die now
  return asgi::SendStatus::kOk;
}

}  // namespace laurel::testing
