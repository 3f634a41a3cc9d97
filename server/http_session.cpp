// server/http_session.cpp
#include "server/http_session.h"

#include <cstdio>

#include "server/connection.h"
#include "server/http_response.h"
#include "server/metrics.h"
#include "server/websocket_handshake.h"
#include "server/websocket_session.h"
#include "server/worker.h"

namespace laurel::server {
namespace {

HttpParserLimits limits_from(const ServerConfig& config) {
  HttpParserLimits limits;
  limits.max_header_bytes = config.max_header_bytes;
  limits.max_body_size = config.max_body_size;
  return limits;
}

// Bytes of pipelined requests held while an earlier response is pending.
constexpr std::size_t kMaxPipelinedBytes = 64 * 1024;

bool asks_for_websocket(const RequestHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (name == "upgrade") return true;
  }
  return false;
}

}  // namespace

HttpSession::HttpSession(Connection& conn)
    : conn_(conn), parser_(*this, limits_from(conn.ctx().config)) {
  ServerMetrics::get().http_open.add();
}

HttpSession::~HttpSession() { ServerMetrics::get().http_open.sub(); }

HttpSession::Builtin HttpSession::builtin_for(const RequestHead& head) const {
  const ServerConfig& config = conn_.ctx().config;
  bool dedicated = conn_.metrics_only();
  bool on_path = !config.metrics.empty() && config.metrics.front() == '/';
  if (!dedicated && !on_path) return Builtin::kNone;
  std::string_view raw, query;
  split_target(head.target, raw, query);
  std::string_view metrics_path = on_path ? std::string_view(config.metrics) : "/metrics";
  bool get = head.method == "GET" || head.method == "HEAD";
  if (get && raw == metrics_path) return Builtin::kMetrics;
  if (get && !config.health_path.empty() && raw == config.health_path) return Builtin::kHealth;
  return dedicated ? Builtin::kNotFound : Builtin::kNone;
}

void HttpSession::answer_builtin() {
  Builtin which = builtin_;
  builtin_ = Builtin::kNone;
  asgi::HttpResponseStart start;
  std::string body;
  switch (which) {
    case Builtin::kMetrics:
      start.status = 200;
      start.headers.emplace_back("content-type", "text/plain; version=0.0.4; charset=utf-8");
      body = render_metrics();
      break;
    case Builtin::kHealth:
      // 503 while stopping, so a load balancer drains this instance before it goes away.
      start.status = conn_.ctx().stopping ? 503 : 200;
      start.headers.emplace_back("content-type", "text/plain; charset=utf-8");
      body = conn_.ctx().stopping ? "stopping\n" : "ok\n";
      break;
    default:
      start.status = 404;
      start.headers.emplace_back("content-type", "text/plain; charset=utf-8");
      body = "Not Found\n";
      break;
  }
  start.headers.emplace_back("cache-control", "no-store");
  start_response(start);
  send_body(asgi::HttpResponseBody{body, false});
}

asgi::EventLoop& HttpSession::loop() { return conn_.ctx().loop; }

bool HttpSession::replace_instance(asgi::Instance& current, std::unique_ptr<asgi::Instance>& next) {
  return instance_.replace(current, next);
}

void HttpSession::on_start() { arm(TimerMode::kHeader); }

void HttpSession::on_data(std::span<char> bytes) {
  std::string_view data(bytes.data(), bytes.size());
  if (in_request_ && request_complete_ && !failed_) {
    // Waiting for a response: keep reading so a client that leaves is noticed, but hold the
    // next pipelined requests (up to a bound) until this one is answered.
    conn_.keep_pending(data);
    if (conn_.pending_bytes() > kMaxPipelinedBytes) conn_.pause_reading();
    return;
  }
  parse(data);
}

void HttpSession::parse(std::string_view rest) {
  while (!rest.empty() && !failed_ && !conn_.closing()) {
    HttpParser::Result r = parser_.feed(rest);
    if (have_pending_body_ && !request_complete_) {
      // The bytes run out mid-body: hand over what arrived, more follows.
      have_pending_body_ = false;
      deliver(asgi::HttpRequest{pending_body_, true});
    }
    if (failed_) return;
    switch (r.status) {
      case HttpParser::Status::kNeedMore:
        if (!parser_.idle() && timer_mode_ == TimerMode::kIdle) arm(TimerMode::kHeader);
        return;
      case HttpParser::Status::kError:
        fail(r.error_status, r.reason);
        return;
      case HttpParser::Status::kUpgrade:
        rest.remove_prefix(r.consumed);
        conn_.keep_pending(rest);
        if (!upgraded_) {
          // An upgrade to something other than WebSocket (h2c): answered as plain HTTP; what
          // follows is another protocol, so the connection ends with this response.
          close_after_response_ = true;
        }
        conn_.pause_reading();
        return;
      case HttpParser::Status::kPaused:
        rest.remove_prefix(r.consumed);
        if (response_complete_ && !dispatching_) {
          finish_request();  // answered already: go straight on to the next pipelined request
          continue;
        }
        conn_.keep_pending(rest);  // the next request waits for this response
        if (conn_.pending_bytes() > kMaxPipelinedBytes) conn_.pause_reading();
        return;
    }
  }
}

void HttpSession::on_request_head(RequestHead& head) {
  const ServerConfig& config = conn_.ctx().config;
  in_request_ = true;
  request_complete_ = false;
  method_ = head.method;
  is_head_ = method_ == "HEAD";
  http10_ = head.http_major == 1 && head.http_minor == 0;
  keep_alive_ = head.keep_alive;
  if (conn_.ctx().stopping) close_after_response_ = true;
  const ConnectionInfo info = conn_.info();
  client_ = apply_proxy_headers(info, head.headers, conn_.ctx().proxy);

  builtin_ = builtin_for(head);
  if (builtin_ != Builtin::kNone) {
    std::string_view raw, query;
    split_target(head.target, raw, query);
    path_ = percent_decode_path(raw);
    arm(TimerMode::kNone);
    return;  // answered once the request (and any body) is complete
  }

  if (asks_for_websocket(head)) {
    HandshakeCheck check = check_handshake(head.method, head.http_major, head.http_minor,
                                           head.headers);
    if (check.is_upgrade) {
      if (check.error_status != 0) {
        std::string_view raw, query;
        split_target(head.target, raw, query);
        path_ = percent_decode_path(raw);
        ServerMetrics::get().handshake_invalid.inc();
        fail(check.error_status, check.error.empty() ? "bad websocket handshake" : check.error);
        return;
      }
      upgraded_ = true;
      arm(TimerMode::kNone);
      conn_.replace_session(
          std::make_unique<WebsocketSession>(conn_, head, std::move(check), client_));
      return;
    }
  }

  asgi::Value scope = build_http_scope(head, info, client_, config.root_path);
  if (const asgi::Value* p = scope.find("path")) path_ = p->as_string();
  if (head.expect_continue && !http10_) {
    // RFC 9110 §10.1.1: the client waits for this before sending the body. Limits on the
    // declared length were already checked (413 instead of 100).
    conn_.out() += "HTTP/1.1 100 Continue\r\n\r\n";
    conn_.schedule();
  }
  arm(config.http_timeout.count() > 0 ? TimerMode::kResponse : TimerMode::kNone);
  dispatching_ = true;
  try {
    instance_.reset(conn_.ctx().app.start(std::move(scope), *this));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: application failed to start for %s: %s\n", path_.c_str(),
                 e.what());
  }
  dispatching_ = false;
  if (!instance_ && !response_started_) fail(500, "Internal Server Error");
}

void HttpSession::on_body(std::string_view chunk) {
  if (!instance_ || response_complete_ || upgraded_) return;  // nobody listens: discard
  if (have_pending_body_) deliver(asgi::HttpRequest{pending_body_, true});
  pending_body_ = chunk;
  have_pending_body_ = true;
}

void HttpSession::on_request_complete() {
  request_complete_ = true;
  if (upgraded_ || failed_) return;
  if (builtin_ != Builtin::kNone) {
    answer_builtin();
    return;
  }
  std::string_view body = have_pending_body_ ? pending_body_ : std::string_view();
  have_pending_body_ = false;
  deliver(asgi::HttpRequest{body, false});
}

void HttpSession::deliver(const asgi::ReceiveEvent& event) {
  if (!instance_ || dispatching_) return;
  bool final_event = std::holds_alternative<asgi::HttpDisconnect>(event);
  if (!final_event && (failed_ || conn_.closed() || response_complete_)) return;
  dispatching_ = true;
  try {
    instance_.receive(event);
  } catch (const std::exception& e) {
    dispatching_ = false;
    std::fprintf(stderr, "laurel: application error on %s %s: %s\n", method_.c_str(),
                 path_.c_str(), e.what());
    if (final_event) return;
    if (!head_written_) {
      fail(500, "Internal Server Error");
    } else {
      conn_.close();
    }
    return;
  }
  dispatching_ = false;
}

asgi::SendStatus HttpSession::send(const asgi::SendEvent& event) {
  if (failed_ || conn_.closing() || !in_request_ || upgraded_) return asgi::SendStatus::kDropped;
  if (const auto* start = std::get_if<asgi::HttpResponseStart>(&event)) {
    return start_response(*start);
  }
  if (const auto* body = std::get_if<asgi::HttpResponseBody>(&event)) return send_body(*body);
  return asgi::SendStatus::kDropped;
}

asgi::SendStatus HttpSession::start_response(const asgi::HttpResponseStart& start) {
  if (response_started_) return asgi::SendStatus::kDropped;
  response_started_ = true;
  status_ = start.status;
  response_headers_ = start.headers;
  if (timer_mode_ == TimerMode::kResponse) arm(TimerMode::kNone);
  return asgi::SendStatus::kOk;
}

asgi::SendStatus HttpSession::send_body(const asgi::HttpResponseBody& body) {
  if (!response_started_ || response_complete_) return asgi::SendStatus::kDropped;
  if (!head_written_) write_head(body.body, body.more_body);
  std::string& out = conn_.out();
  if (!no_body_ && !body.body.empty()) {
    if (chunked_) {
      append_chunk(out, body.body);
    } else {
      out.append(body.body);
    }
    body_bytes_ += body.body.size();
  }
  if (!body.more_body) {
    if (chunked_) out.append(kLastChunk);
    complete_response();
  }
  conn_.schedule();
  return conn_.buffered() > conn_.ctx().config.outbound_high_water
             ? asgi::SendStatus::kBackpressure
             : asgi::SendStatus::kOk;
}

void HttpSession::write_head(std::string_view first_body, bool more_body) {
  const ServerConfig& config = conn_.ctx().config;
  std::string& out = conn_.out();
  bool bodiless_status = status_ < 200 || status_ == 204 || status_ == 304;
  no_body_ = is_head_ || bodiless_status;
  // A response that starts before the request body was read ends the connection: the rest of
  // the body would otherwise be taken for the next request.
  if (!request_complete_) close_after_response_ = true;
  append_status_line(out, status_);
  bool has_length = false, has_server = false, has_date = false;
  for (const auto& [name, value] : response_headers_) {
    if (!header_is_safe(name, value)) continue;  // would split the response
    if (header_name_is(name, "transfer-encoding")) continue;  // laurel frames the body itself
    if (header_name_is(name, "connection")) {
      if (value.find("close") != std::string::npos) close_after_response_ = true;
      continue;
    }
    if (header_name_is(name, "content-length")) has_length = true;
    if (header_name_is(name, "server")) has_server = true;
    if (header_name_is(name, "date")) has_date = true;
    append_header(out, name, value);
  }
  if (!has_length && !bodiless_status) {
    if (!more_body) {
      append_header(out, "Content-Length", std::to_string(first_body.size()));
    } else if (!no_body_) {
      if (http10_) {
        close_after_response_ = true;  // HTTP/1.0 has no chunked encoding: the close ends it
      } else {
        chunked_ = true;
        append_header(out, "Transfer-Encoding", "chunked");
      }
    }
  }
  if (!has_server && !config.server_name.empty()) append_header(out, "Server", config.server_name);
  if (!has_date) append_date_header(out);
  if (close_after_response_ || !keep_alive_) {
    append_header(out, "Connection", "close");
  } else if (http10_) {
    append_header(out, "Connection", "keep-alive");
  }
  out += "\r\n";
  head_written_ = true;
  response_headers_.clear();
}

void HttpSession::complete_response() {
  response_complete_ = true;
  ServerMetrics::get().count_http_status(status_);
  log_response();
  arm(TimerMode::kNone);
  conn_.schedule();  // the instance is destroyed from on_tick, never inside its own call
}

void HttpSession::log_response() {
  AccessLog& log = conn_.ctx().log;
  if (!log.enabled()) return;
  log.http(format_client(client_.host, client_.port), method_, path_, status_, body_bytes_);
}

void HttpSession::on_tick() {
  if (response_complete_ && in_request_ && !dispatching_) finish_request();
}

void HttpSession::finish_request() {
  // The response is complete: the instance ends here, without http.disconnect (ASGI).
  std::unique_ptr<asgi::Instance> done = instance_.release();
  done.reset();
  bool reuse = keep_alive_ && !close_after_response_ && request_complete_ && !failed_ &&
               !conn_.ctx().stopping;
  in_request_ = false;
  request_complete_ = false;
  have_pending_body_ = false;
  status_ = 0;
  body_bytes_ = 0;
  response_started_ = head_written_ = chunked_ = no_body_ = response_complete_ = false;
  method_.clear();
  path_.clear();
  if (!reuse) {
    // While the server stops, do not wait around for the client's EOF.
    conn_.close_after_flush(/*linger=*/!conn_.ctx().stopping);
    return;
  }
  parser_.resume();
  arm(TimerMode::kIdle);
  conn_.resume_reading();
}

void HttpSession::fail(int status, std::string_view message) {
  if (failed_) return;
  failed_ = true;
  if (!head_written_ && !conn_.closing()) {
    if (status == 426) {
      // RFC 6455 §4.2.2: a refused version names the one laurel speaks.
      append_upgrade_required(conn_.out(), message, conn_.ctx().config.server_name);
    } else {
      append_error_response(conn_.out(), status, message, conn_.ctx().config.server_name);
    }
    head_written_ = true;
    status_ = status;
    ServerMetrics::get().count_http_status(status);
    if (!method_.empty()) log_response();
  }
  arm(TimerMode::kNone);
  conn_.close_after_flush();
  if (instance_ && !dispatching_ && !response_complete_) {
    // The request is over for the application now, not when the client closes the socket.
    deliver(asgi::HttpDisconnect{});
    instance_.reset();
  }
}

void HttpSession::arm(TimerMode mode) {
  const ServerConfig& config = conn_.ctx().config;
  timer_mode_ = mode;
  std::chrono::milliseconds delay{0};
  switch (mode) {
    case TimerMode::kNone: break;
    case TimerMode::kIdle: delay = config.keepalive_timeout; break;
    case TimerMode::kHeader: delay = config.header_timeout; break;
    case TimerMode::kResponse: delay = config.http_timeout; break;
  }
  if (delay.count() > 0) {
    conn_.set_timer(delay);
  } else {
    conn_.clear_timer();
  }
}

void HttpSession::on_timer() {
  switch (timer_mode_) {
    case TimerMode::kNone:
      break;
    case TimerMode::kIdle:
      conn_.close();  // an idle keep-alive connection: nothing to say
      break;
    case TimerMode::kHeader:
      if (parser_.idle() && !in_request_) {
        conn_.close();
      } else {
        fail(408, "Request Timeout: the request headers did not arrive in time");
      }
      break;
    case TimerMode::kResponse:
      if (!response_started_) {
        fail(504, "Gateway Timeout: the application did not respond in time");
      } else {
        conn_.close();
      }
      break;
  }
}

void HttpSession::on_eof() {
  // TCP cannot tell a half-close from a client that went away; like other ASGI servers, treat
  // EOF as the client leaving (a long-poll waiting for an answer gets http.disconnect).
  conn_.close();
}

void HttpSession::on_drained() {}

void HttpSession::on_closed() {
  if (instance_ && !response_complete_) deliver(asgi::HttpDisconnect{});
  instance_.reset();
}

void HttpSession::on_shutdown() {
  close_after_response_ = true;
  if (!in_request_) conn_.close();  // idle keep-alive connection: nothing in flight
}

}  // namespace laurel::server
