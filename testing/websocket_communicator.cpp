// testing/websocket_communicator.cpp

#include "testing/websocket_communicator.h"

#include <stdexcept>

#include "testing/scope_for_test.h"

namespace laurel::testing {

WebsocketCommunicator::WebsocketCommunicator(asgi::ApplicationPtr app, std::string path,
                                             asgi::Headers headers,
                                             std::vector<std::string> subprotocols,
                                             server::UvLoop* loop)
    : loop_(loop ? *loop : default_loop()),
      app_(std::move(app)),
      scope_(make_scope("websocket", path, headers)),
      peer_(loop_, &instance_) {
  asgi::List offered;
  for (auto& s : subprotocols) offered.emplace_back(std::move(s));
  scope_["subprotocols"] = asgi::Value(std::move(offered));
}

WebsocketCommunicator::~WebsocketCommunicator() {
  if (!instance_) return;
  // Like a dropped TCP connection: the consumer still leaves its groups.
  try {
    disconnect(1006);
  } catch (...) {
  }
}

void WebsocketCommunicator::start() {
  if (started_) return;
  started_ = true;
  ScopedCurrentLoop current(loop_);
  instance_.reset(app_->start(scope_, peer_));
}

void WebsocketCommunicator::input(const asgi::ReceiveEvent& event) {
  start();
  if (!instance_) return;  // the application answered at start (a denial)
  ScopedCurrentLoop current(loop_);
  instance_.receive(event);
}

std::pair<bool, std::optional<std::string>> WebsocketCommunicator::connect(
    std::chrono::milliseconds timeout) {
  input(asgi::WebsocketConnect{});
  asgi::Value response = receive_output(timeout);
  std::string_view type = response.get_string("type");
  if (type == "websocket.accept") {
    const asgi::Value* sub = response.find("subprotocol");
    if (sub && sub->is_string()) return {true, std::string(sub->as_string())};
    return {true, std::nullopt};
  }
  if (type == "websocket.close") {
    const asgi::Value* code = response.find("code");
    close_code_ = code && code->is_int() ? static_cast<int>(code->as_int()) : 1000;
  } else if (type == "websocket.http.response.start") {
    close_code_ = static_cast<int>(response["status"].as_int());
  } else {
    throw std::runtime_error("connect(): expected websocket.accept or websocket.close, got " +
                             response.repr());
  }
  return {false, std::nullopt};
}

void WebsocketCommunicator::send_to(std::string_view text_data) {
  input(asgi::WebsocketReceive{text_data, false});
}

void WebsocketCommunicator::send_bytes_to(std::string_view bytes_data) {
  input(asgi::WebsocketReceive{bytes_data, true});
}

void WebsocketCommunicator::send_json_to(const asgi::Value& data) { send_to(data.to_json()); }

asgi::Value WebsocketCommunicator::receive_output(std::chrono::milliseconds timeout) {
  auto& outputs = peer_.outputs();
  if (!run_until(
          loop_, [&] { return !outputs.empty(); }, timeout)) {
    throw Timeout("no output from the application within " + std::to_string(timeout.count()) +
                  " ms");
  }
  asgi::Value next = std::move(outputs.front());
  outputs.pop_front();
  return next;
}

WebsocketCommunicator::Frame WebsocketCommunicator::receive_frame_from(
    std::chrono::milliseconds timeout) {
  asgi::Value response = receive_output(timeout);
  if (response.get_string("type") != "websocket.send") {
    throw std::runtime_error("expected websocket.send, got " + response.repr());
  }
  if (const asgi::Value* text = response.find("text"); text && text->is_string()) {
    return Frame{std::string(text->as_string()), false};
  }
  return Frame{std::string(response["bytes"].as_bytes()), true};
}

std::string WebsocketCommunicator::receive_from(std::chrono::milliseconds timeout) {
  return receive_frame_from(timeout).data;
}

asgi::Value WebsocketCommunicator::receive_json_from(std::chrono::milliseconds timeout) {
  Frame frame = receive_frame_from(timeout);
  if (frame.binary) throw std::runtime_error("expected a JSON text frame, got a binary frame");
  return asgi::Value::from_json(frame.data);
}

bool WebsocketCommunicator::receive_nothing(std::chrono::milliseconds timeout) {
  auto& outputs = peer_.outputs();
  if (!outputs.empty()) return false;
  run_until(
      loop_, [&] { return !outputs.empty(); }, timeout);
  return outputs.empty();
}

void WebsocketCommunicator::disconnect(int code, std::chrono::milliseconds timeout) {
  if (!disconnected_ && instance_) {
    disconnected_ = true;
    input(asgi::WebsocketDisconnect{code, {}});
  }
  {
    ScopedCurrentLoop current(loop_);
    instance_.reset();
  }
  run_ready(loop_);
}

}  // namespace laurel::testing
