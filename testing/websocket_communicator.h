// testing/websocket_communicator.h
#pragma once

// Channels' WebsocketCommunicator for C++ consumers: runs an application in-process on a real
// UvLoop, with no socket. Each call drives the loop on the calling thread until the expected
// output arrives or the timeout passes (then it throws testing::Timeout).
//
//   WebsocketCommunicator comm(chat::make_application(), "/ws/chat/lobby/");
//   auto [connected, subprotocol] = comm.connect();
//   comm.send_json_to({{"message", "hello"}});
//   EXPECT_EQ(comm.receive_json_from()["message"], "hello");
//   comm.disconnect();

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asgi/application.h"
#include "testing/recording_peer.h"
#include "testing/run_loop.h"

namespace laurel::testing {

using namespace std::chrono_literals;

class WebsocketCommunicator {
 public:
  // `path` may carry a query string ("/ws/chat/lobby/?ticket=x"). Header names are lower-cased.
  // `loop` defaults to this thread's default_loop().
  WebsocketCommunicator(asgi::ApplicationPtr app, std::string path, asgi::Headers headers = {},
                        std::vector<std::string> subprotocols = {}, server::UvLoop* loop = nullptr);
  ~WebsocketCommunicator();
  WebsocketCommunicator(const WebsocketCommunicator&) = delete;
  WebsocketCommunicator& operator=(const WebsocketCommunicator&) = delete;

  // The scope the application will get; change it before connect() (scope()["user"] = ...).
  asgi::Scope& scope() { return scope_; }

  // (true, chosen subprotocol) when accepted; (false, nullopt) when denied, with the close code
  // (or denial HTTP status) in close_code().
  std::pair<bool, std::optional<std::string>> connect(std::chrono::milliseconds timeout = 1s);
  int close_code() const { return close_code_; }

  void send_to(std::string_view text_data);
  void send_bytes_to(std::string_view bytes_data);
  void send_json_to(const asgi::Value& data);

  // The next frame's payload (text or bytes); throws std::runtime_error naming what came
  // instead when the next output is not websocket.send.
  std::string receive_from(std::chrono::milliseconds timeout = 1s);
  struct Frame {
    std::string data;
    bool binary = false;
  };
  Frame receive_frame_from(std::chrono::milliseconds timeout = 1s);
  asgi::Value receive_json_from(std::chrono::milliseconds timeout = 1s);
  // True if nothing is sent within `timeout` (runs the loop that long).
  bool receive_nothing(std::chrono::milliseconds timeout = 100ms);
  // The next raw output event as its ASGI dict ({"type": "websocket.close", "code": 1011}).
  asgi::Value receive_output(std::chrono::milliseconds timeout = 1s);

  // Delivers websocket.disconnect and ends the instance, as the server does, then lets the
  // loop finish what the consumer started (leaving groups).
  void disconnect(int code = 1000, std::chrono::milliseconds timeout = 1s);

  server::UvLoop& loop() { return loop_; }
  // The instance the communicator holds now, as a server would: middleware that finished waiting
  // hands the connection over to the instance it started (Peer::replace_instance).
  asgi::Instance* instance() const { return instance_.get(); }

 private:
  void start();
  void input(const asgi::ReceiveEvent& event);

  server::UvLoop& loop_;
  asgi::ApplicationPtr app_;
  asgi::Scope scope_;
  RecordingPeer peer_;
  asgi::InstanceSlot instance_;
  bool started_ = false;
  bool disconnected_ = false;
  int close_code_ = 0;
};

}  // namespace laurel::testing
