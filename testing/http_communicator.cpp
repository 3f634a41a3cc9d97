// testing/http_communicator.cpp

#include "testing/http_communicator.h"

#include <stdexcept>

#include "testing/scope_for_test.h"

namespace laurel::testing {

std::string HttpCommunicator::Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

HttpCommunicator::HttpCommunicator(asgi::ApplicationPtr app, std::string method, std::string path,
                                   std::string body, asgi::Headers headers, server::UvLoop* loop)
    : loop_(loop ? *loop : default_loop()),
      app_(std::move(app)),
      scope_(make_scope("http", path, headers, method)),
      body_(std::move(body)),
      peer_(loop_, &instance_) {}

HttpCommunicator::~HttpCommunicator() {
  ScopedCurrentLoop current(loop_);
  instance_.reset();
  run_ready(loop_);
}

void HttpCommunicator::send_request() {
  if (sent_) return;
  sent_ = true;
  ScopedCurrentLoop current(loop_);
  instance_.reset(app_->start(scope_, peer_));
  if (instance_) instance_.receive(asgi::HttpRequest{body_, false});
}

asgi::Value HttpCommunicator::receive_output(std::chrono::milliseconds timeout) {
  send_request();
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

HttpCommunicator::Response HttpCommunicator::get_response(std::chrono::milliseconds timeout) {
  Response response;
  for (;;) {
    asgi::Value event = receive_output(timeout);
    std::string_view type = event.get_string("type");
    if (type == "http.response.start") {
      response.status = static_cast<int>(event["status"].as_int());
      for (const auto& pair : event["headers"].as_list()) {
        auto text = [](const asgi::Value& v) {
          return v.is_bytes() ? v.as_bytes() : v.as_string();
        };
        response.headers.emplace_back(text(pair[0]), text(pair[1]));
      }
    } else if (type == "http.response.body") {
      if (const asgi::Value* body = event.find("body"); body && body->is_bytes()) {
        response.body += body->as_bytes();
      }
      const asgi::Value* more = event.find("more_body");
      if (!(more && more->is_bool() && more->as_bool())) break;
    } else {
      throw std::runtime_error("unexpected output for an HTTP request: " + event.repr());
    }
  }
  // The server ends the instance once the response is complete.
  ScopedCurrentLoop current(loop_);
  instance_.reset();
  return response;
}

void HttpCommunicator::disconnect() {
  send_request();
  ScopedCurrentLoop current(loop_);
  if (instance_) instance_.receive(asgi::HttpDisconnect{});
  instance_.reset();
  run_ready(loop_);
}

}  // namespace laurel::testing
