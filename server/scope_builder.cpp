// server/scope_builder.cpp
#include "server/scope_builder.h"

#include <algorithm>
#include <charconv>

namespace laurel::server {
namespace {

using asgi::Bytes;
using asgi::Dict;
using asgi::List;
using asgi::Value;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

const std::string* find_header(const asgi::Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_trusted(const ProxyPolicy& policy, std::string_view host) {
  return std::find(policy.trusted.begin(), policy.trusted.end(), host) != policy.trusted.end();
}

// An X-Forwarded-For entry may be "1.2.3.4", "[::1]:port" or "1.2.3.4:port"; keep the address.
std::string_view forwarded_address(std::string_view entry) {
  entry = trim(entry);
  if (!entry.empty() && entry.front() == '[') {
    auto end = entry.find(']');
    return end == std::string_view::npos ? entry : entry.substr(1, end - 1);
  }
  if (std::count(entry.begin(), entry.end(), ':') == 1) return entry.substr(0, entry.find(':'));
  return entry;
}

Value address(const std::string& host, int port) {
  if (host.empty()) return Value();
  return Value(List{Value(host), Value(port)});
}

// The parts of a scope that repeat from one connection to the next are shared, not copied:
// every idle WebSocket keeps its scope (Value::shared). Built once per process...
const Value& asgi_versions(std::string_view spec_version) {
  static const Value http = Value::shared({{"version", Value("3.0")}, {"spec_version", Value("2.3")}});
  static const Value websocket =
      Value::shared({{"version", Value("3.0")}, {"spec_version", Value("2.4")}});
  return spec_version == "2.3" ? http : websocket;
}

// ...or once per worker thread for the listening address, which all its connections on one
// listener have in common.
Value server_address(const std::string& host, int port) {
  struct Last {
    std::string host;
    int port = -1;
    Value value;
  };
  thread_local Last last;
  if (host.empty()) return Value();
  if (last.port != port || last.host != host) last = {host, port, Value::shared(address(host, port))};
  return last.value;
}

// Header names too long for a Value to keep inline that browsers and WebSocket clients send on
// nearly every request: kept as pointers to these literals, not as a heap copy per connection.
constexpr std::string_view kLongHeaderNames[] = {
    "sec-websocket-key",     "sec-websocket-version",     "sec-websocket-extensions",
    "sec-websocket-protocol", "accept-encoding",          "accept-language",
    "x-forwarded-for",       "x-forwarded-proto",         "x-forwarded-host",
    "x-forwarded-port",      "upgrade-insecure-requests", "sec-ch-ua-mobile",
    "sec-ch-ua-platform",    "if-modified-since",         "content-encoding",
};

Value header_name(std::string&& name) {
  if (name.size() > 14) {
    for (std::string_view known : kLongHeaderNames) {
      if (known == name) return Value::literal_bytes(known);
    }
  }
  return Value(Bytes{std::move(name)});
}

// The keys every scope has; `extra` is how many the protocol adds, so the dict is reserved exactly
// (an idle WebSocket keeps its scope, and with it any capacity slack).
constexpr std::size_t kCommonScopeKeys = 11;

Dict common_scope(std::string_view type, std::string_view spec_version, RequestHead& head,
                   const ConnectionInfo& conn, const ClientView& client,
                   std::string_view root_path, std::string_view scheme, std::size_t extra) {
  std::string_view raw_path, query;
  split_target(head.target, raw_path, query);
  List headers;
  headers.reserve(head.headers.size());
  for (auto& [name, value] : head.headers) {
    headers.push_back(Value(List{header_name(std::move(name)), Value(Bytes{std::move(value)})}));
  }
  // Release the capacity too, not just the elements: the head may outlive the request (an
  // upgraded connection keeps its parser), and every idle WebSocket would carry it.
  asgi::Headers().swap(head.headers);
  std::string http_version = head.http_major == 1 && head.http_minor == 0 ? "1.0" : "1.1";
  if (head.http_major == 2) http_version = "2";
  Dict scope;
  scope.reserve(kCommonScopeKeys + extra);
  scope.emplace("type", Value(type));
  scope.emplace("asgi", asgi_versions(spec_version));
  scope.emplace("http_version", Value(http_version));
  scope.emplace("scheme", Value(scheme));
  scope.emplace("path", Value(percent_decode_path(raw_path)));
  scope.emplace("raw_path", Value(Bytes{std::string(raw_path)}));
  scope.emplace("query_string", Value(Bytes{std::string(query)}));
  scope.emplace("root_path", Value(root_path));
  scope.emplace("headers", Value(std::move(headers)));
  scope.emplace("client", client.host.empty() ? Value() : address(client.host, client.port));
  scope.emplace("server", server_address(conn.server_host, conn.server_port));
  return scope;
}

}  // namespace

ClientView apply_proxy_headers(const ConnectionInfo& conn, const asgi::Headers& headers,
                               const ProxyPolicy& policy) {
  ClientView view{conn.client_host, conn.client_port, conn.tls};
  // Unix-socket peers are local processes (typically the proxy itself): trust them when enabled.
  bool trusted = conn.client_host.empty() || is_trusted(policy, conn.client_host);
  if (!policy.enabled || !trusted) return view;
  if (const std::string* xff = find_header(headers, policy.host_header)) {
    // Walk from the right: each trusted proxy appends the address it saw, so the right-most
    // address that is not one of ours is the real client; entries left of it are client-made.
    std::string_view list = *xff;
    std::string_view chosen;
    while (!list.empty()) {
      auto comma = list.rfind(',');
      std::string_view entry =
          forwarded_address(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      if (entry.empty()) continue;
      chosen = entry;
      if (!is_trusted(policy, entry)) break;
    }
    if (!chosen.empty()) {
      view.host = std::string(chosen);
      view.port = 0;
      if (const std::string* port = find_header(headers, policy.port_header)) {
        std::string_view p = trim(*port);
        int value = 0;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
        if (ec == std::errc() && ptr == p.data() + p.size() && value > 0 && value < 65536) {
          view.port = value;
        }
      }
    }
  }
  if (const std::string* proto = find_header(headers, policy.proto_header)) {
    std::string_view p = trim(*proto);
    auto comma = p.find(',');
    if (comma != std::string_view::npos) p = trim(p.substr(0, comma));
    if (p == "https" || p == "wss") view.secure = true;
    if (p == "http" || p == "ws") view.secure = false;
  }
  return view;
}

void split_target(std::string_view target, std::string_view& path, std::string_view& query) {
  // Absolute-form ("http://host/p?q", RFC 9112 §3.2.2): drop scheme and authority.
  if (!target.empty() && target.front() != '/') {
    auto scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      auto slash = target.find_first_of("/?", scheme_end + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  auto hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  auto q = target.find('?');
  if (q == std::string_view::npos) {
    path = target;
    query = {};
  } else {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path.empty()) path = "/";
}

std::string percent_decode_path(std::string_view raw) {
  std::string bytes;
  bytes.reserve(raw.size());
  bool needs_check = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%' && i + 2 < raw.size()) {
      int hi = hex_digit(raw[i + 1]);
      int lo = hex_digit(raw[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    if (static_cast<unsigned char>(c) >= 0x80) needs_check = true;
    bytes.push_back(c);
  }
  if (!needs_check) return bytes;
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(bytes, i, n);
      i += n;
    }
  }
  return out;
}

asgi::Value build_http_scope(RequestHead& head, const ConnectionInfo& conn,
                             const ClientView& client, std::string_view root_path) {
  Dict scope = common_scope("http", "2.3", head, conn, client, root_path,
                            client.secure ? "https" : "http", 1);
  scope.emplace("method", Value(head.method));
  return Value(std::move(scope));
}

asgi::Value build_websocket_scope(RequestHead& head, const ConnectionInfo& conn,
                                  const ClientView& client, std::string_view root_path,
                                  const std::vector<std::string>& subprotocols) {
  Dict scope = common_scope("websocket", "2.4", head, conn, client, root_path,
                            client.secure ? "wss" : "ws", 2);
  List protocols;
  protocols.reserve(subprotocols.size());
  for (const auto& p : subprotocols) protocols.push_back(Value(p));
  scope.emplace("subprotocols", Value(std::move(protocols)));
  // ASGI denial-response extension: the application may answer the handshake with HTTP.
  static const Value extensions = Value::shared({{"websocket.http.response", Value::dict()}});
  scope.emplace("extensions", extensions);
  return Value(std::move(scope));
}

}  // namespace laurel::server
