// server/metrics.cpp
#include "server/metrics.h"

namespace laurel::server {
namespace {

metrics::Registry& reg() { return metrics::Registry::global(); }

constexpr const char* kOpenHelp = "Open client connections by protocol";
constexpr const char* kHandshakeHelp = "WebSocket handshakes by outcome";
constexpr const char* kMessagesHelp = "WebSocket messages by direction";
constexpr const char* kMessageBytesHelp = "WebSocket message payload bytes by direction";
constexpr const char* kSocketBytesHelp = "Bytes read from and written to client sockets";
constexpr const char* kTlsHelp = "TLS handshakes by outcome";
constexpr const char* kHttpHelp = "HTTP responses by status class";

ServerMetrics* make() {
  auto& r = reg();
  auto* m = new ServerMetrics{
      r.gauge("laurel_open_connections", kOpenHelp, {{"protocol", "http"}}),
      r.gauge("laurel_open_connections", kOpenHelp, {{"protocol", "websocket"}}),
      r.counter("laurel_websocket_handshakes_total", kHandshakeHelp, {{"outcome", "accepted"}}),
      r.counter("laurel_websocket_handshakes_total", kHandshakeHelp, {{"outcome", "denied"}}),
      r.counter("laurel_websocket_handshakes_total", kHandshakeHelp, {{"outcome", "invalid"}}),
      r.counter("laurel_websocket_messages_total", kMessagesHelp, {{"direction", "in"}}),
      r.counter("laurel_websocket_messages_total", kMessagesHelp, {{"direction", "out"}}),
      r.counter("laurel_websocket_message_bytes_total", kMessageBytesHelp, {{"direction", "in"}}),
      r.counter("laurel_websocket_message_bytes_total", kMessageBytesHelp, {{"direction", "out"}}),
      r.counter("laurel_socket_bytes_total", kSocketBytesHelp, {{"direction", "in"}}),
      r.counter("laurel_socket_bytes_total", kSocketBytesHelp, {{"direction", "out"}}),
      r.counter("laurel_tls_handshakes_total", kTlsHelp, {{"outcome", "ok"}}),
      r.counter("laurel_tls_handshakes_total", kTlsHelp, {{"outcome", "failed"}}),
      {}};
  const char* classes[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
  for (int i = 0; i < 6; ++i) {
    m->http_status[i] = &r.counter("laurel_http_responses_total", kHttpHelp, {{"status", classes[i]}});
  }
  return m;
}

}  // namespace

ServerMetrics& ServerMetrics::get() {
  static ServerMetrics* m = make();  // never destroyed: workers may count during exit
  return *m;
}

void ServerMetrics::count_http_status(int status) {
  int cls = status / 100;
  http_status[cls >= 1 && cls <= 5 ? cls - 1 : 5]->inc();
}

void ServerMetrics::count_close_sent(int code) {
  // Close codes are few and sent once per connection: the registry lookup is fine here.
  reg().counter("laurel_websocket_close_codes_sent_total", "WebSocket close codes sent by laurel",
                {{"code", std::to_string(code)}})
      .inc();
}

std::string render_metrics() {
  ServerMetrics::get();  // the server's series show up (as 0) before anything happened
  return reg().render();
}

}  // namespace laurel::server
