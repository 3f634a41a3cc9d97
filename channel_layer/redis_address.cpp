#include "channel_layer/redis_address.h"

#include <charconv>
#include <stdexcept>

namespace laurel::channel_layer {
namespace {

[[noreturn]] void bad(std::string_view url, std::string_view why) {
  throw std::invalid_argument("invalid Redis URL '" + std::string(url) + "': " + std::string(why));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Credentials may be percent-encoded, as redis-py decodes them.
std::string percent_decode(std::string_view url, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) bad(url, "truncated %-escape");
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) bad(url, "bad %-escape");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

int parse_int(std::string_view url, std::string_view s, std::string_view what) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) bad(url, std::string(what) + " is not a number");
  return v;
}

}  // namespace

std::string RedisAddress::display() const {
  std::string out = is_unix() ? "unix://" + path : "redis://" + host + ":" + std::to_string(port);
  out += is_unix() ? "?db=" + std::to_string(db) : "/" + std::to_string(db);
  return out;
}

RedisAddress RedisAddress::parse(std::string_view url) {
  RedisAddress a;
  std::string_view rest;
  bool unix_socket = false;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("unix://")) {
    rest = url.substr(7);
    unix_socket = true;
  } else if (url.starts_with("rediss://")) {
    bad(url, "TLS (rediss://) is not supported by laurel's Redis layer; use a local TLS tunnel "
             "or a unix socket");
  } else {
    bad(url, "expected redis://host:port/db or unix:///path/to/socket");
  }

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      // redis-py reads a lone user-info part as the username.
      a.username = percent_decode(url, cred);
    } else {
      a.username = percent_decode(url, cred.substr(0, colon));
      a.password = percent_decode(url, cred.substr(colon + 1));
    }
  }

  if (unix_socket) {
    if (rest.empty() || rest.front() != '/') bad(url, "a unix socket URL needs an absolute path");
    a.path = std::string(rest);
  } else {
    std::string_view hostport = rest;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      hostport = rest.substr(0, slash);
      std::string_view db = rest.substr(slash + 1);
      if (!db.empty()) a.db = parse_int(url, db, "the database");
    }
    if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
      auto close = hostport.find(']');
      if (close == std::string_view::npos) bad(url, "unclosed [ in the host");
      a.host = std::string(hostport.substr(1, close - 1));
      hostport = hostport.substr(close + 1);
      if (hostport.starts_with(":")) a.port = parse_int(url, hostport.substr(1), "the port");
    } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
      a.host = std::string(hostport.substr(0, colon));
      a.port = parse_int(url, hostport.substr(colon + 1), "the port");
    } else {
      a.host = std::string(hostport);
    }
    if (a.host.empty()) a.host = "localhost";
    if (a.port <= 0 || a.port > 65535) bad(url, "the port must be 1-65535");
  }

  // Query options redis-py understands that matter here: db and password.
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "db") a.db = parse_int(url, v, "the database");
    if (k == "password") a.password = percent_decode(url, v);
  }
  return a;
}

}  // namespace laurel::channel_layer
