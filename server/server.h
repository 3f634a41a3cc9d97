// server/server.h
#pragma once

// The protocol server: listens on the configured endpoints with one libuv loop per worker, turns
// HTTP/1.1 and WebSocket traffic into ASGI scopes and events for one Application, and shuts down
// gracefully on SIGTERM/SIGINT. Flags in the command line map one to one onto ServerConfig.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "asgi/application.h"

namespace laurel::server {

// Where to listen. One of: TCP host+port, a unix socket path, or an inherited file descriptor.
struct Endpoint {
  enum class Kind { kTcp, kUnix, kFd };
  Kind kind = Kind::kTcp;
  std::string host = "127.0.0.1";  // IPv4 or IPv6 literal (or "localhost")
  int port = 8000;
  std::string path;  // unix socket
  int fd = -1;       // inherited listening socket
  // TLS (ssl: endpoints / --tls-cert, --tls-key); empty means plain.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string describe() const;  // "tcp:127.0.0.1:8000", "unix:/run/laurel.sock", "fd:3"
};

struct ServerConfig {
  std::vector<Endpoint> endpoints;
  int workers = 1;

  // HTTP
  std::chrono::milliseconds http_timeout{0};  // 0: none. Application silent past it → 504
  std::size_t max_header_bytes = 16 * 1024;   // → 431
  std::size_t max_body_size = 0;              // 0: unlimited. → 413
  std::chrono::milliseconds header_timeout{30'000};  // slowloris guard: headers must arrive in time
  std::chrono::milliseconds keepalive_timeout{60'000};

  // WebSocket
  std::size_t max_message_size = 1 << 20;     // → close 1009
  std::chrono::milliseconds ping_interval{20'000};  // Daphne's default
  std::chrono::milliseconds ping_timeout{30'000};
  std::chrono::milliseconds websocket_connect_timeout{5'000};  // accept or deny in time
  std::chrono::milliseconds websocket_timeout{86'400'000};     // maximum connection life; 0: none
  std::size_t max_outbound_bytes = 4 * 1024 * 1024;  // per connection; over it → close 1008
  std::size_t outbound_high_water = 256 * 1024;      // SendStatus::kBackpressure above it

  // General
  // At shutdown, how long application instances get to finish (WebSockets closed with 1001,
  // responses in flight) before their connections are dropped and they get their disconnect.
  // The shutdown waits min(application_close_timeout, shutdown_timeout).
  std::chrono::milliseconds application_close_timeout{10'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::string root_path;
  std::string server_name = "laurel";  // Server header; empty: no header
  std::string access_log_path;         // "-" or empty: stdout; "none": off
  bool access_log = true;
  // 0: errors only; 1: + access log and warnings; 2: + debug (TLS failures, reloads, ...).
  int verbosity = 1;

  // Metrics (docs/metrics.md). "host:port": a separate plain-HTTP listener that answers
  // GET /metrics (Prometheus text format) and GET `health_path`, 404 for anything else.
  // "/path": the metrics are served at that path, and health at `health_path`, on every
  // endpoint, ahead of the application. Empty: off.
  std::string metrics;
  std::string health_path = "/healthz";

  // Proxy headers (X-Forwarded-For/-Proto/-Port) honoured only from these peers.
  bool proxy_headers = false;
  std::string proxy_headers_host = "X-Forwarded-For";
  std::string proxy_headers_port = "X-Forwarded-Port";
  std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};

  // Per-worker hooks, each called on the worker's own thread with its loop current
  // (asgi::EventLoop::current()): on_worker_start before the worker serves its first connection,
  // on_worker_stop once its last connection is gone at shutdown, before the loop ends. Resources
  // that belong to one loop (a Redis channel layer) are made and dropped here.
  std::function<void(int worker_index)> on_worker_start;
  std::function<void(int worker_index)> on_worker_stop;
};

// Runs the server until SIGTERM/SIGINT (or `request_stop`), then shuts down gracefully.
// `on_ready` runs once every listener is bound (prints the URL, writes a ready file).
// Returns a process exit status; errors binding listeners are reported on stderr and return 1.
int run_server(const ServerConfig& config, asgi::ApplicationPtr app,
               std::function<void()> on_ready = {});

// Asks a running run_server to shut down gracefully, from any thread.
void request_stop();

// The endpoints the running server listens on, with the real port where port 0 was asked for
// (tests, "listening on" messages). Valid from `on_ready` until run_server returns; else empty.
std::vector<Endpoint> bound_endpoints();
// The --metrics listener (host:port form) with its real port, under the same rules.
std::optional<Endpoint> bound_metrics_endpoint();

}  // namespace laurel::server
