#include "middleware/origin_validator.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "asgi/metrics.h"

namespace laurel::middleware {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

std::optional<int> default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  return std::nullopt;
}

std::optional<int> effective_port(const ParsedOrigin& o) {
  return o.port ? o.port : default_port(o.scheme);
}

}  // namespace

ParsedOrigin parse_origin(std::string_view origin) {
  ParsedOrigin parsed;
  std::string_view rest = origin;
  auto colon = rest.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      std::isalpha(static_cast<unsigned char>(rest[0])) &&
      std::all_of(rest.begin(), rest.begin() + static_cast<long>(colon), is_scheme_char)) {
    parsed.scheme = lower(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  if (rest.substr(0, 2) != "//") return parsed;  // no authority: no hostname
  rest.remove_prefix(2);
  std::string_view netloc = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = netloc.rfind('@'); at != std::string_view::npos) netloc.remove_prefix(at + 1);
  std::string_view host = netloc;
  std::string_view port;
  if (!netloc.empty() && netloc.front() == '[') {
    auto close = netloc.find(']');
    if (close == std::string_view::npos) {
      parsed.port_valid = false;
      return parsed;
    }
    host = netloc.substr(1, close - 1);
    std::string_view after = netloc.substr(close + 1);
    if (!after.empty() && after.front() == ':') port = after.substr(1);
  } else if (auto c = netloc.find(':'); c != std::string_view::npos) {
    host = netloc.substr(0, c);
    port = netloc.substr(c + 1);
  }
  parsed.hostname = lower(host);
  if (!port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
      parsed.port_valid = false;
    } else {
      parsed.port = value;
    }
  }
  return parsed;
}

bool is_same_domain(std::string_view host, std::string_view pattern) {
  if (pattern.empty()) return false;
  std::string p = lower(pattern);
  if (p.front() == '.') {
    return (host.size() >= p.size() && host.substr(host.size() - p.size()) == p) ||
           host == std::string_view(p).substr(1);
  }
  return host == p;
}

OriginValidator::OriginValidator(asgi::ApplicationPtr inner, std::vector<std::string> allowed)
    : ScopeMiddleware(std::move(inner)), allowed_(std::move(allowed)) {}

bool OriginValidator::matches(const ParsedOrigin& origin, std::string_view pattern) const {
  if (origin.hostname.empty()) return false;
  ParsedOrigin parsed_pattern = parse_origin(lower(pattern));
  if (parsed_pattern.scheme.empty()) {
    // A bare host pattern compares host names only; the port is not even read.
    ParsedOrigin bare = parse_origin("//" + std::string(pattern));
    std::string_view pattern_host = bare.hostname.empty() ? pattern : bare.hostname;
    return is_same_domain(origin.hostname, pattern_host);
  }
  // With a scheme the ports are compared, and an unreadable port matches nothing.
  return origin.port_valid && parsed_pattern.port_valid &&
         parsed_pattern.scheme == origin.scheme &&
         effective_port(parsed_pattern) == effective_port(origin) &&
         is_same_domain(origin.hostname, parsed_pattern.hostname);
}

bool OriginValidator::allows(const std::optional<std::string>& origin) const {
  bool any = std::find(allowed_.begin(), allowed_.end(), "*") != allowed_.end();
  if (any) return true;
  if (!origin) return false;
  ParsedOrigin parsed = parse_origin(*origin);
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const std::string& pattern) { return matches(parsed, pattern); });
}

std::optional<Denial> OriginValidator::process(asgi::Scope& scope) const {
  if (scope.get_string("type") != "websocket") {
    throw std::invalid_argument(
        "OriginValidator only guards WebSocket connections; put it under the \"websocket\" "
        "entry of the ProtocolTypeRouter");
  }
  if (allows(origin_of(scope))) return std::nullopt;
  metrics::count_auth_failure("origin");
  return Denial::forbidden("Origin not allowed\n");
}

std::optional<std::string> origin_of(const asgi::Scope& scope) {
  const asgi::Value* headers = scope.find("headers");
  if (headers == nullptr) return std::nullopt;
  std::optional<std::string> origin;
  for (const auto& pair : headers->as_list()) {
    if (pair[0].as_bytes() == "origin") origin = pair[1].as_bytes();  // last one wins
  }
  return origin;
}

asgi::ApplicationPtr AllowedHostsOriginValidator(asgi::ApplicationPtr inner,
                                                 std::vector<std::string> allowed_hosts,
                                                 bool debug) {
  if (debug && allowed_hosts.empty()) allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  return std::make_shared<OriginValidator>(std::move(inner), std::move(allowed_hosts));
}

}  // namespace laurel::middleware
