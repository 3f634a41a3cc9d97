// server/websocket_session.h
#pragma once

// One WebSocket after a valid upgrade request: builds the websocket scope, starts the
// application instance and delivers websocket.connect; the application accepts (101), denies
// (403) or answers with its own HTTP response. Once open, frames go through WebsocketCodec in
// both directions; keepalive pings, the maximum life, the outbound bound (1008) and
// backpressure are enforced here. websocket.disconnect is delivered exactly once, when the
// socket is gone, with the peer's close code (1006 when the TCP connection just dropped).

#include <memory>
#include <string>
#include <vector>

#include "asgi/application.h"
#include "asgi/instance_slot.h"
#include "asgi/loop.h"
#include "server/http_parser.h"
#include "server/scope_builder.h"
#include "server/session.h"
#include "server/websocket_codec.h"
#include "server/websocket_handshake.h"

namespace laurel::server {

class Connection;

class WebsocketSession final : public Session,
                               public asgi::Peer,
                               private WebsocketCodec::Handler {
 public:
  // Takes the headers out of `head`.
  WebsocketSession(Connection& conn, RequestHead& head, HandshakeCheck check,
                   const ClientView& client);
  ~WebsocketSession() override;

  // Session
  void on_start() override;
  void on_data(std::span<char> bytes) override;
  void on_eof() override;
  void on_timer() override;
  void on_tick() override;
  void on_drained() override;
  void on_closed() override;
  void on_shutdown() override;

  // asgi::Peer
  asgi::SendStatus send(const asgi::SendEvent& event) override;
  asgi::EventLoop& loop() override;
  bool replace_instance(asgi::Instance& current, std::unique_ptr<asgi::Instance>& next) override;

 private:
  enum class State : std::uint8_t {
    kConnecting,  // waiting for the application to accept or deny
    kDenying,     // the application is sending its own HTTP response
    kOpen,        // 101 sent; frames flow
    kClosing,     // a close frame was sent or received; waiting for the TCP close
    kDone,        // refused, or the connection is being closed
  };

  // WebsocketCodec::Handler
  void on_message(std::string_view data, bool binary) override;
  void on_pong(std::string_view payload) override;
  void on_close(int code, std::string_view reason) override;
  void on_protocol_error(int code, std::string_view why) override;

  asgi::SendStatus accept(const asgi::WebsocketAccept& accept);
  asgi::SendStatus send_message(const asgi::WebsocketSend& send);
  asgi::SendStatus close_frame(int code, std::string_view reason);
  asgi::SendStatus deny_start(const asgi::WebsocketHttpResponseStart& start);
  asgi::SendStatus deny_body(const asgi::WebsocketHttpResponseBody& body);
  void reject(int status, std::string_view message);
  void deliver(const asgi::ReceiveEvent& event);
  std::string path() const { return path_.is_string() ? std::string(path_.as_string()) : ""; }
  void arm_timer();
  void start_closing(int code, std::string_view reason);
  void end_instance();
  void log_event(std::string_view action);  // delivers websocket.disconnect once, then destroys the instance

  // What only the handshake needs: allocated with the session, freed once the application
  // accepted or refused, so an open socket does not carry it.
  struct Handshake {
    asgi::Value scope;                  // until the instance starts
    std::string key;                    // Sec-WebSocket-Key, for the 101
    std::vector<std::string> offered;   // subprotocols the client offered
    asgi::Headers deny_headers;         // the application's own refusal, until written
    int deny_status = 0;
  };

  Connection& conn_;
  WebsocketCodec codec_;
  asgi::InstanceSlot instance_;
  std::unique_ptr<Handshake> handshake_;
  asgi::Value path_;  // scope["path"], for logs: a Value keeps a short path inline
  // "host:port" for the access log when a trusted proxy named a client other than the peer;
  // otherwise the line takes it from the connection's address.
  std::unique_ptr<std::string> proxied_client_;
  std::unique_ptr<std::string> close_reason_;  // the peer's, once it closed with one
  asgi::Clock::time_point next_ping_{};
  // When the peer's answer is due: its pong while open, its close frame while closing.
  asgi::Clock::time_point reply_deadline_{};
  asgi::Clock::time_point expires_{};
  // The small members share one 8-byte slot (the object then fits a smaller malloc chunk).
  int close_code_ = kCloseAbnormal;  // what websocket.disconnect will report
  State state_ = State::kConnecting;
  bool awaiting_pong_ : 1 = false;
  bool dispatching_ : 1 = false;
  bool disconnected_ : 1 = false;
  bool paused_for_backpressure_ : 1 = false;
  bool accepted_ : 1 = false;
};

}  // namespace laurel::server
