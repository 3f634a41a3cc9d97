// server/scope_builder.h
#pragma once

// Builds ASGI 3 scopes (asgi::Value dicts) for HTTP requests and WebSocket handshakes from a
// parsed request head and the connection's addresses, and applies trusted proxy headers
// (X-Forwarded-For / -Proto / -Port) to the client address and scheme.

#include <string>
#include <string_view>
#include <vector>

#include "asgi/value.h"
#include "server/http_parser.h"

namespace laurel::server {

// The two ends of one accepted connection.
struct ConnectionInfo {
  std::string client_host;  // empty for unix sockets
  int client_port = 0;
  std::string server_host;  // empty for unix sockets (scope "server" is then null)
  int server_port = 0;
  bool tls = false;
};

// What the proxy-header rules need from the configuration.
struct ProxyPolicy {
  bool enabled = false;
  std::string host_header = "x-forwarded-for";  // lower-case
  std::string port_header = "x-forwarded-port";
  std::string proto_header = "x-forwarded-proto";
  std::vector<std::string> trusted;  // peer addresses allowed to set them
};

// Client address and scheme after proxy headers: the original ones unless the peer is trusted.
struct ClientView {
  std::string host;
  int port = 0;
  bool secure = false;  // https / wss
};
ClientView apply_proxy_headers(const ConnectionInfo& conn, const asgi::Headers& headers,
                               const ProxyPolicy& policy);

// Splits a request-target into path and query ("http://h/a?b" → "/a", "b"); no decoding.
void split_target(std::string_view target, std::string_view& path, std::string_view& query);
// %XX-decodes `raw` and returns UTF-8 text; invalid UTF-8 becomes U+FFFD (Python's unquote).
std::string percent_decode_path(std::string_view raw);

// The "http" scope. Moves the headers out of `head`.
asgi::Value build_http_scope(RequestHead& head, const ConnectionInfo& conn,
                             const ClientView& client, std::string_view root_path);
// The "websocket" scope, with the client's offered subprotocols.
asgi::Value build_websocket_scope(RequestHead& head, const ConnectionInfo& conn,
                                  const ClientView& client, std::string_view root_path,
                                  const std::vector<std::string>& subprotocols);

}  // namespace laurel::server
