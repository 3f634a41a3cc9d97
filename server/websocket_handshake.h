// server/websocket_handshake.h
#pragma once

// The opening handshake of RFC 6455 §4.2 on the server side: decides whether an HTTP request is
// a valid WebSocket upgrade, and builds the 101 answer. Knows nothing about sockets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/events.h"

namespace laurel::server {

struct HandshakeCheck {
  bool is_upgrade = false;  // the request asks for a WebSocket at all (Upgrade: websocket)
  int error_status = 0;     // 0 when valid; else 400, or 426 for a wrong version
  std::string error;        // why, for the response body and the log
  std::string key;          // Sec-WebSocket-Key
  std::vector<std::string> subprotocols;  // Sec-WebSocket-Protocol, in the client's order
};

// `headers` are lower-cased names, as in an ASGI scope.
HandshakeCheck check_handshake(std::string_view method, int http_major, int http_minor,
                               const asgi::Headers& headers);

// base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

// The full "HTTP/1.1 101 Switching Protocols" response, with the application's extra headers.
// A 426 answer carries `Sec-WebSocket-Version: 13` (append_upgrade_required).
std::string switching_protocols_response(std::string_view client_key,
                                         const std::optional<std::string>& subprotocol,
                                         const asgi::Headers& extra_headers,
                                         std::string_view server_name);

// Appends the whole "HTTP/1.1 426 Upgrade Required" response for a wrong or missing
// Sec-WebSocket-Version (RFC 6455 §4.4): `Sec-WebSocket-Version: 13`, `Connection: close`, and
// `reason` as a text/plain body; `Server:` when server_name is not empty.
void append_upgrade_required(std::string& out, std::string_view reason,
                             std::string_view server_name);

}  // namespace laurel::server
