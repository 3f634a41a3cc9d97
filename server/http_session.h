// server/http_session.h
#pragma once

// HTTP/1.1 on one connection: keep-alive, pipelined requests answered in order (the parser
// pauses after each request until its response is complete), request bodies streamed to the
// application as http.request chunks, responses framed with Content-Length or chunked encoding,
// HEAD, Expect: 100-continue, the limits (431, 413, 400) and timeouts (408, 504). A valid
// WebSocket handshake hands the connection over to a WebsocketSession.

#include <memory>
#include <string>

#include "asgi/application.h"
#include "asgi/instance_slot.h"
#include "server/http_parser.h"
#include "server/scope_builder.h"
#include "server/session.h"

namespace laurel::server {

class Connection;

class HttpSession final : public Session, public asgi::Peer, private HttpParser::Handler {
 public:
  explicit HttpSession(Connection& conn);
  ~HttpSession() override;

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
  enum class TimerMode : std::uint8_t { kNone, kIdle, kHeader, kResponse };

  // HttpParser::Handler
  void on_request_head(RequestHead& head) override;
  void on_body(std::string_view chunk) override;
  void on_request_complete() override;

  void parse(std::string_view data);
  void deliver(const asgi::ReceiveEvent& event);
  asgi::SendStatus start_response(const asgi::HttpResponseStart& start);
  asgi::SendStatus send_body(const asgi::HttpResponseBody& body);
  void write_head(std::string_view first_body, bool more_body);
  void complete_response();
  void finish_request();
  void fail(int status, std::string_view message);
  void arm(TimerMode mode);
  void log_response();
  // The built-in endpoints (--metrics): answered by the server, never the application.
  enum class Builtin : std::uint8_t { kNone, kMetrics, kHealth, kNotFound };
  Builtin builtin_for(const RequestHead& head) const;
  void answer_builtin();

  Connection& conn_;
  HttpParser parser_;
  asgi::InstanceSlot instance_;

  // The request being answered.
  std::string method_;
  std::string path_;  // decoded path, for the access log
  ClientView client_;
  std::string_view pending_body_;  // the last body piece, held to learn whether more follows
  bool have_pending_body_ = false;
  bool in_request_ = false;         // a request's head arrived and it is not finished
  bool request_complete_ = false;   // its body has been fully received
  bool keep_alive_ = true;
  bool is_head_ = false;
  bool http10_ = false;

  // Its response.
  int status_ = 0;
  asgi::Headers response_headers_;
  std::size_t body_bytes_ = 0;
  bool response_started_ = false;
  bool head_written_ = false;
  bool chunked_ = false;
  bool no_body_ = false;  // HEAD, 1xx, 204, 304
  bool response_complete_ = false;
  bool close_after_response_ = false;

  bool dispatching_ = false;
  bool failed_ = false;  // bad input: answered and closing, ignore everything else
  bool upgraded_ = false;
  Builtin builtin_ = Builtin::kNone;
  TimerMode timer_mode_ = TimerMode::kNone;
};

}  // namespace laurel::server
