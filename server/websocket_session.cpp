// server/websocket_session.cpp
#include "server/websocket_session.h"

#include <algorithm>
#include <cstdio>

#include "server/connection.h"
#include "server/http_response.h"
#include "server/metrics.h"
#include "server/worker.h"

namespace laurel::server {
namespace {

using std::chrono::milliseconds;

// How long we wait for the peer's close frame (or its TCP close) after sending ours.
constexpr milliseconds kCloseHandshakeTimeout{5000};

WebsocketLimits limits_from(const ServerConfig& config) {
  WebsocketLimits limits;
  limits.max_message_size = config.max_message_size;
  return limits;
}

}  // namespace

WebsocketSession::WebsocketSession(Connection& conn, RequestHead& head, HandshakeCheck check,
                                   const ClientView& client)
    : conn_(conn),
      codec_(*this, limits_from(conn.ctx().config)),
      handshake_(std::make_unique<Handshake>()) {
  const ConnectionInfo info = conn.info();
  handshake_->scope = build_websocket_scope(head, info, client, conn.ctx().config.root_path,
                                            check.subprotocols);
  if (const asgi::Value* p = handshake_->scope.find("path")) path_ = *p;
  if (client.host != info.client_host || client.port != info.client_port) {
    proxied_client_ = std::make_unique<std::string>(format_client(client.host, client.port));
  }
  handshake_->key = std::move(check.key);
  handshake_->offered = std::move(check.subprotocols);
  ServerMetrics::get().websocket_open.add();
}

WebsocketSession::~WebsocketSession() { ServerMetrics::get().websocket_open.sub(); }

asgi::EventLoop& WebsocketSession::loop() { return conn_.ctx().loop; }

bool WebsocketSession::replace_instance(asgi::Instance& current,
                                        std::unique_ptr<asgi::Instance>& next) {
  return instance_.replace(current, next);
}

void WebsocketSession::on_start() {
  const ServerConfig& config = conn_.ctx().config;
  log_event("WSCONNECTING");
  // Frames that arrive before the application accepts wait in the kernel (and in the bytes
  // already read), so a client cannot make us buffer or act on them early.
  conn_.pause_reading();
  if (config.websocket_connect_timeout.count() > 0) {
    conn_.set_timer(config.websocket_connect_timeout);
  }
  dispatching_ = true;
  try {
    instance_.reset(conn_.ctx().app.start(std::move(handshake_->scope), *this));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: application failed to start for websocket %s: %s\n",
                 path().c_str(), e.what());
  }
  dispatching_ = false;
  if (handshake_) handshake_->scope = asgi::Value();
  if (!instance_) {
    if (state_ == State::kConnecting) reject(500, "Internal Server Error");
    return;
  }
  deliver(asgi::WebsocketConnect{});
}

void WebsocketSession::deliver(const asgi::ReceiveEvent& event) {
  if (!instance_ || dispatching_) return;
  bool final_event = std::holds_alternative<asgi::WebsocketDisconnect>(event);
  if (!final_event && conn_.closed()) return;
  dispatching_ = true;
  try {
    instance_.receive(event);
  } catch (const std::exception& e) {
    dispatching_ = false;
    std::fprintf(stderr, "laurel: application error on websocket %s: %s\n", path().c_str(),
                 e.what());
    if (final_event) return;
    if (state_ == State::kConnecting) {
      reject(500, "Internal Server Error");
    } else {
      start_closing(kCloseInternalError, "");
    }
    return;
  }
  dispatching_ = false;
}

asgi::SendStatus WebsocketSession::send(const asgi::SendEvent& event) {
  if (conn_.closed()) return asgi::SendStatus::kDropped;
  if (const auto* m = std::get_if<asgi::WebsocketSend>(&event)) return send_message(*m);
  if (const auto* a = std::get_if<asgi::WebsocketAccept>(&event)) return accept(*a);
  if (const auto* c = std::get_if<asgi::WebsocketClose>(&event)) {
    return close_frame(c->code, c->reason);
  }
  if (const auto* s = std::get_if<asgi::WebsocketHttpResponseStart>(&event)) {
    return deny_start(*s);
  }
  if (const auto* b = std::get_if<asgi::WebsocketHttpResponseBody>(&event)) {
    return deny_body(*b);
  }
  return asgi::SendStatus::kDropped;
}

asgi::SendStatus WebsocketSession::accept(const asgi::WebsocketAccept& accept) {
  if (state_ != State::kConnecting) return asgi::SendStatus::kDropped;
  const ServerConfig& config = conn_.ctx().config;
  const std::vector<std::string>& offered = handshake_->offered;
  std::optional<std::string> subprotocol;
  if (accept.subprotocol) {
    if (std::find(offered.begin(), offered.end(), *accept.subprotocol) != offered.end()) {
      subprotocol = accept.subprotocol;
    } else {
      // RFC 6455 §4.2.2: the server may only select one of the client's protocols; a browser
      // fails the connection otherwise. Accept without one rather than break the client.
      if (config.verbosity >= 1) {
        std::fprintf(stderr,
                     "laurel: websocket %s accepted with a subprotocol the client did not offer; "
                     "not sent\n",
                     path().c_str());
      }
    }
  }
  bool headers_safe = std::all_of(accept.headers.begin(), accept.headers.end(), [](auto& h) {
    return header_is_safe(h.first, h.second);
  });
  asgi::Headers filtered;
  if (!headers_safe) {
    for (const auto& h : accept.headers) {
      if (header_is_safe(h.first, h.second)) filtered.push_back(h);
    }
  }
  conn_.out() += switching_protocols_response(handshake_->key, subprotocol,
                                              headers_safe ? accept.headers : filtered,
                                              config.server_name);
  state_ = State::kOpen;
  accepted_ = true;
  ServerMetrics::get().handshake_accepted.inc();
  handshake_.reset();
  log_event("WSCONNECT");
  asgi::Clock::time_point now = conn_.ctx().loop.now();
  next_ping_ = now + config.ping_interval;
  expires_ = now + config.websocket_timeout;
  arm_timer();
  conn_.schedule();
  conn_.resume_reading();  // frames that arrived early are replayed from the pending bytes
  return asgi::SendStatus::kOk;
}

asgi::SendStatus WebsocketSession::send_message(const asgi::WebsocketSend& send) {
  if (state_ != State::kOpen) return asgi::SendStatus::kDropped;
  const ServerConfig& config = conn_.ctx().config;
  std::size_t queued = conn_.buffered();
  if (queued + send.data.size() > config.max_outbound_bytes) {
    // The client does not read fast enough: memory is bounded, so this connection goes. What
    // it has not been sent yet is dropped so that the close frame comes next, and it gets the
    // ping timeout (not the usual closing-handshake wait) to read its way to that frame.
    conn_.discard_unsent();
    start_closing(kClosePolicyViolation, "client too slow to read");
    reply_deadline_ = conn_.ctx().loop.now() + std::max(kCloseHandshakeTimeout, config.ping_timeout);
    arm_timer();
    return asgi::SendStatus::kDropped;
  }
  WebsocketCodec::append_message(conn_.out(), send.data, send.binary);
  ServerMetrics& m = ServerMetrics::get();
  m.messages_out.inc();
  m.message_bytes_out.inc(send.data.size());
  conn_.schedule();
  if (queued + send.data.size() > config.outbound_high_water) {
    if (!paused_for_backpressure_) {
      // Stop taking new input from a client that does not take our output.
      paused_for_backpressure_ = true;
      conn_.pause_reading();
    }
    return asgi::SendStatus::kBackpressure;
  }
  return asgi::SendStatus::kOk;
}

asgi::SendStatus WebsocketSession::close_frame(int code, std::string_view reason) {
  switch (state_) {
    case State::kConnecting:
      // Close before accept denies the handshake (ASGI: HTTP 403).
      reject(403, "Forbidden");
      return asgi::SendStatus::kOk;
    case State::kOpen:
      start_closing(code, reason);
      return asgi::SendStatus::kOk;
    default:
      return asgi::SendStatus::kDropped;
  }
}

void WebsocketSession::start_closing(int code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  codec_.append_close(conn_.out(), code, reason);
  ServerMetrics::get().count_close_sent(code);
  state_ = State::kClosing;
  reply_deadline_ = conn_.ctx().loop.now() + kCloseHandshakeTimeout;
  arm_timer();
  conn_.schedule();
  if (paused_for_backpressure_) {
    // Keep reading so the peer's close frame can arrive.
    paused_for_backpressure_ = false;
    conn_.resume_reading();
  }
}

asgi::SendStatus WebsocketSession::deny_start(const asgi::WebsocketHttpResponseStart& start) {
  if (state_ != State::kConnecting) return asgi::SendStatus::kDropped;
  state_ = State::kDenying;
  handshake_->deny_status = start.status;
  handshake_->deny_headers = start.headers;
  return asgi::SendStatus::kOk;
}

asgi::SendStatus WebsocketSession::deny_body(const asgi::WebsocketHttpResponseBody& body) {
  if (state_ != State::kDenying) return asgi::SendStatus::kDropped;
  const ServerConfig& config = conn_.ctx().config;
  std::string& out = conn_.out();
  if (handshake_ && handshake_->deny_status != 0) {
    append_status_line(out, handshake_->deny_status);
    bool has_length = false, has_server = false;
    for (const auto& [name, value] : handshake_->deny_headers) {
      if (!header_is_safe(name, value) || header_name_is(name, "connection") ||
          header_name_is(name, "transfer-encoding")) {
        continue;
      }
      has_length |= header_name_is(name, "content-length");
      has_server |= header_name_is(name, "server");
      append_header(out, name, value);
    }
    // With more to come and no length, the end of the connection ends the body.
    if (!has_length && !body.more_body) {
      append_header(out, "Content-Length", std::to_string(body.body.size()));
    }
    if (!has_server && !config.server_name.empty()) {
      append_header(out, "Server", config.server_name);
    }
    append_date_header(out);
    append_header(out, "Connection", "close");
    out += "\r\n";
    handshake_.reset();
  }
  out.append(body.body);
  conn_.schedule();
  if (!body.more_body) {
    state_ = State::kDone;
    ServerMetrics::get().handshake_denied.inc();
    log_event("WSREJECT");
    conn_.clear_timer();
    conn_.close_after_flush();
  }
  return asgi::SendStatus::kOk;
}

void WebsocketSession::reject(int status, std::string_view message) {
  state_ = State::kDone;
  handshake_.reset();
  append_error_response(conn_.out(), status, message, conn_.ctx().config.server_name);
  ServerMetrics::get().handshake_denied.inc();
  log_event("WSREJECT");
  conn_.clear_timer();
  conn_.close_after_flush();
}

void WebsocketSession::on_data(std::span<char> bytes) {
  switch (state_) {
    case State::kOpen:
    case State::kClosing: {
      std::string& out = conn_.out();
      std::size_t before = out.size();
      codec_.feed(bytes, out);
      if (out.size() != before) conn_.schedule();
      break;
    }
    case State::kConnecting:
      conn_.keep_pending(std::string_view(bytes.data(), bytes.size()));
      break;
    default:
      break;  // refused: input is ignored while the answer drains
  }
}

void WebsocketSession::on_message(std::string_view data, bool binary) {
  if (state_ != State::kOpen && state_ != State::kClosing) return;
  ServerMetrics& m = ServerMetrics::get();
  m.messages_in.inc();
  m.message_bytes_in.inc(data.size());
  deliver(asgi::WebsocketReceive{data, binary});
}

void WebsocketSession::on_pong(std::string_view) {
  if (!awaiting_pong_) return;
  awaiting_pong_ = false;
  arm_timer();
}

void WebsocketSession::on_close(int code, std::string_view reason) {
  // Our echo carries the peer's code (none when it sent none); unless we closed first.
  if (state_ == State::kOpen && code != kCloseNoStatus) ServerMetrics::get().count_close_sent(code);
  close_code_ = code;
  close_reason_ = reason.empty() ? nullptr : std::make_unique<std::string>(reason);
  state_ = State::kClosing;
  // The codec queued the echoing close frame (RFC 6455 §5.5.1); the server closes the TCP
  // connection once it is written (§7.1.1), half-closing first and discarding whatever the
  // client still sends, so that late frames do not turn the close into a reset.
  conn_.close_after_flush();
}

void WebsocketSession::on_protocol_error(int code, std::string_view why) {
  ServerMetrics::get().count_close_sent(code);
  close_code_ = code;
  close_reason_ = why.empty() ? nullptr : std::make_unique<std::string>(why);
  state_ = State::kClosing;
  conn_.close_after_flush();
}

void WebsocketSession::arm_timer() {
  const ServerConfig& config = conn_.ctx().config;
  asgi::Clock::time_point none = asgi::Clock::time_point::max();
  asgi::Clock::time_point next = none;
  if (state_ == State::kOpen) {
    if (config.websocket_timeout.count() > 0) next = std::min(next, expires_);
    if (awaiting_pong_) {
      next = std::min(next, reply_deadline_);
    } else if (config.ping_interval.count() > 0) {
      next = std::min(next, next_ping_);
    }
  } else if (state_ == State::kClosing) {
    next = reply_deadline_;
  }
  if (next == none) {
    conn_.clear_timer();
    return;
  }
  auto delay = std::chrono::ceil<milliseconds>(next - conn_.ctx().loop.now());
  conn_.set_timer(std::max(delay, milliseconds(0)));
}

void WebsocketSession::on_timer() {
  const ServerConfig& config = conn_.ctx().config;
  asgi::Clock::time_point now = conn_.ctx().loop.now();
  switch (state_) {
    case State::kConnecting:
      if (config.verbosity >= 1) {
        std::fprintf(stderr, "laurel: websocket %s not accepted within %lld ms; refused\n",
                     path().c_str(),
                     static_cast<long long>(config.websocket_connect_timeout.count()));
      }
      reject(403, "Forbidden");
      return;
    case State::kDenying:
    case State::kDone:
      conn_.close();
      return;
    case State::kClosing:
      conn_.close();  // no close frame back in time: drop the TCP connection
      return;
    case State::kOpen:
      break;
  }
  if (config.websocket_timeout.count() > 0 && now >= expires_) {
    start_closing(kCloseNormal, "");  // maximum connection life reached
    return;
  }
  if (awaiting_pong_ && now >= reply_deadline_) {
    conn_.close();  // the peer is gone without a word: reported as 1006
    return;
  }
  if (!awaiting_pong_ && config.ping_interval.count() > 0 && now >= next_ping_) {
    WebsocketCodec::append_ping(conn_.out(), {});
    conn_.schedule();
    awaiting_pong_ = config.ping_timeout.count() > 0;
    reply_deadline_ = now + config.ping_timeout;
    next_ping_ = now + config.ping_interval;
  }
  arm_timer();
}

void WebsocketSession::on_tick() {
  // A refused handshake is over for the application as soon as the answer is queued; do not
  // make it wait for the client to close the TCP connection.
  if (state_ == State::kDone && !dispatching_) end_instance();
}

void WebsocketSession::end_instance() {
  if (instance_ && !disconnected_) {
    disconnected_ = true;
    deliver(asgi::WebsocketDisconnect{
        close_code_, close_reason_ ? std::string_view(*close_reason_) : std::string_view()});
  }
  instance_.reset();
}

void WebsocketSession::log_event(std::string_view action) {
  AccessLog& log = conn_.ctx().log;
  if (!log.enabled()) return;
  if (proxied_client_) {
    log.websocket(*proxied_client_, action, path());
    return;
  }
  ConnectionInfo info = conn_.peer();
  log.websocket(format_client(info.client_host, info.client_port), action, path());
}

void WebsocketSession::on_drained() {
  if (paused_for_backpressure_) {
    paused_for_backpressure_ = false;
    if (state_ == State::kOpen) conn_.resume_reading();
  }
}

void WebsocketSession::on_eof() { conn_.close(); }

void WebsocketSession::on_closed() {
  end_instance();
  if (accepted_) log_event("WSDISCONNECT");
}

void WebsocketSession::on_shutdown() {
  switch (state_) {
    case State::kOpen:
      start_closing(kCloseGoingAway, "server shutting down");
      break;
    case State::kConnecting:
      reject(503, "Service Unavailable: server shutting down");
      break;
    default:
      break;
  }
}

}  // namespace laurel::server
