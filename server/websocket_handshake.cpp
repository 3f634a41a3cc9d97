// server/websocket_handshake.cpp

#include "server/websocket_handshake.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace laurel::server {
namespace {

// RFC 6455 §1.3.
constexpr std::string_view kWebsocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each non-empty element of a comma-separated header list (RFC 9110 §5.6.1).
template <typename F>
void for_each_token(std::string_view value, F&& f) {
  while (true) {
    const auto comma = value.find(',');
    const auto item = trim(value.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

bool header_has_token(const asgi::Headers& headers, std::string_view name, std::string_view token) {
  bool found = false;
  for (const auto& [n, v] : headers) {
    if (n != name) continue;
    for_each_token(v, [&](std::string_view t) { found = found || iequals(t, token); });
  }
  return found;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// §4.2.1 item 5: the key is base64 of 16 bytes, which is always 22 characters and "==".
bool is_valid_key(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (base64_value(key[i]) < 0) return false;
  }
  return true;
}

// RFC 9110 §5.6.2 token characters: what a header name may be made of.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

// A header value that cannot break the response apart (no CR, LF or NUL).
bool is_safe_value(std::string_view s) {
  for (const char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

HandshakeCheck check_handshake(std::string_view method, int http_major, int http_minor,
                               const asgi::Headers& headers) {
  HandshakeCheck check;
  check.is_upgrade = header_has_token(headers, "upgrade", "websocket");
  if (!check.is_upgrade) return check;

  auto refuse = [&](int status, std::string why) {
    check.error_status = status;
    check.error = std::move(why);
    return check;
  };
  // §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
  if (method != "GET") return refuse(400, "a WebSocket handshake must use GET");
  if (http_major < 1 || (http_major == 1 && http_minor < 1)) {
    return refuse(400, "a WebSocket handshake needs HTTP/1.1 or later");
  }
  if (!header_has_token(headers, "connection", "upgrade")) {
    return refuse(400, "the Connection header must contain \"upgrade\"");
  }

  // §4.2.2 item 4: an unsupported version is answered 426 with the versions laurel speaks.
  int versions = 0;
  bool version_13 = false;
  for (const auto& [n, v] : headers) {
    if (n != "sec-websocket-version") continue;
    for_each_token(v, [&](std::string_view t) {
      ++versions;
      version_13 = version_13 || t == "13";
    });
  }
  if (versions != 1 || !version_13) {
    return refuse(426, "Sec-WebSocket-Version must be 13");
  }

  int keys = 0;
  for (const auto& [n, v] : headers) {
    if (n != "sec-websocket-key") continue;
    ++keys;
    check.key = std::string(trim(v));
  }
  if (keys != 1) {
    check.key.clear();
    return refuse(400, "exactly one Sec-WebSocket-Key header is required");
  }
  if (!is_valid_key(check.key)) {
    check.key.clear();
    return refuse(400, "Sec-WebSocket-Key must be the base64 of 16 bytes");
  }

  // §4.2.1 item 8 and §11.3.4: the header may appear several times, each a comma list.
  for (const auto& [n, v] : headers) {
    if (n != "sec-websocket-protocol") continue;
    for_each_token(v, [&](std::string_view t) { check.subprotocols.emplace_back(t); });
  }
  return check;
}

std::string accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + kWebsocketGuid.size());
  input.append(client_key);
  input.append(kWebsocketGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  // 20 bytes → 28 base64 characters, plus EVP_EncodeBlock's terminating NUL.
  std::array<unsigned char, 29> encoded{};
  const int n = EVP_EncodeBlock(encoded.data(), digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n));
}

std::string switching_protocols_response(std::string_view client_key,
                                         const std::optional<std::string>& subprotocol,
                                         const asgi::Headers& extra_headers,
                                         std::string_view server_name) {
  std::string r;
  r.reserve(160 + server_name.size());
  r.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  r.append("Sec-WebSocket-Accept: ").append(accept_key(client_key)).append("\r\n");
  if (subprotocol && !subprotocol->empty() && is_token(*subprotocol)) {
    r.append("Sec-WebSocket-Protocol: ").append(*subprotocol).append("\r\n");
  }
  for (const auto& [name, value] : extra_headers) {
    // The handshake's own headers are laurel's to write: a second copy from the application
    // would make the answer ambiguous (two Accept values fail the client). Names that are not
    // tokens and values with line breaks are dropped so they cannot split the response.
    if (iequals(name, "upgrade") || iequals(name, "connection") ||
        iequals(name, "sec-websocket-accept") || iequals(name, "sec-websocket-protocol") ||
        iequals(name, "sec-websocket-extensions") ||
        (!server_name.empty() && iequals(name, "server"))) {
      continue;
    }
    if (!is_token(name) || !is_safe_value(value)) continue;
    r.append(name).append(": ").append(value).append("\r\n");
  }
  if (!server_name.empty() && is_safe_value(server_name)) {
    r.append("Server: ").append(server_name).append("\r\n");
  }
  r.append("\r\n");
  return r;
}

void append_upgrade_required(std::string& out, std::string_view reason,
                             std::string_view server_name) {
  // §4.4: the 426 names the versions this server understands.
  std::string body(reason);
  body.append("\n");
  out.append("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n");
  out.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  out.append(std::to_string(body.size())).append("\r\nConnection: close\r\n");
  if (!server_name.empty() && is_safe_value(server_name)) {
    out.append("Server: ").append(server_name).append("\r\n");
  }
  out.append("\r\n").append(body);
}

}  // namespace laurel::server
