// testing/http_communicator.h
#pragma once

// Channels' HttpCommunicator: sends one request (the whole body at once) to an application
// in-process and collects the response, driving a real UvLoop on the calling thread.

#include <chrono>
#include <memory>
#include <string>

#include "asgi/application.h"
#include "testing/recording_peer.h"
#include "testing/run_loop.h"

namespace laurel::testing {

class HttpCommunicator {
 public:
  struct Response {
    int status = 0;
    asgi::Headers headers;
    std::string body;
    // The first value of a header (lower-case name), or "" when absent.
    std::string header(std::string_view name) const;
  };

  HttpCommunicator(asgi::ApplicationPtr app, std::string method, std::string path,
                   std::string body = {}, asgi::Headers headers = {},
                   server::UvLoop* loop = nullptr);
  ~HttpCommunicator();

  asgi::Scope& scope() { return scope_; }

  // Sends the request (once) and waits for the whole response; throws Timeout.
  Response get_response(std::chrono::milliseconds timeout = std::chrono::seconds(1));
  // Sends the request (once) and returns the next raw output event (streaming tests).
  asgi::Value receive_output(std::chrono::milliseconds timeout = std::chrono::seconds(1));
  // The client goes away (http.disconnect).
  void disconnect();

 private:
  void send_request();

  server::UvLoop& loop_;
  asgi::ApplicationPtr app_;
  asgi::Scope scope_;
  std::string body_;
  RecordingPeer peer_;
  asgi::InstanceSlot instance_;
  bool sent_ = false;
};

}  // namespace laurel::testing
