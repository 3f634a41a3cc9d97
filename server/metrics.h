// server/metrics.h
#pragma once

// The server's own series in the process metrics registry (asgi/metrics.h), looked up once so
// that counting on the hot paths is one relaxed atomic add, and the HTTP answers of the
// built-in endpoints: the Prometheus scrape and the health check (docs/metrics.md).

#include <string>

#include "asgi/metrics.h"

namespace laurel::server {

struct ServerMetrics {
  metrics::Gauge& http_open;
  metrics::Gauge& websocket_open;
  metrics::Counter& handshake_accepted;
  metrics::Counter& handshake_denied;
  metrics::Counter& handshake_invalid;
  metrics::Counter& messages_in;
  metrics::Counter& messages_out;
  metrics::Counter& message_bytes_in;
  metrics::Counter& message_bytes_out;
  metrics::Counter& socket_bytes_in;
  metrics::Counter& socket_bytes_out;
  metrics::Counter& tls_handshake_ok;
  metrics::Counter& tls_handshake_failed;
  metrics::Counter* http_status[6];  // 1xx..5xx, other

  static ServerMetrics& get();
  void count_http_status(int status);
  void count_close_sent(int code);
};

// The body of a scrape (text/plain; version=0.0.4).
std::string render_metrics();

}  // namespace laurel::server
