// middleware/origin_validator.h
#pragma once

// Refuses WebSocket handshakes whose Origin is not allowed (HTTP 403), before routing: the
// defence against cross-site WebSocket hijacking for sockets authenticated by ambient cookies.
// Same patterns and behaviour as Channels' OriginValidator: "*" allows anything, a leading dot
// allows a domain and its subdomains, a scheme (and port) must then match too, and a handshake
// without Origin is refused unless "*" is allowed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "middleware/middleware.h"

namespace laurel::middleware {

// The parts of an Origin header that matter for matching (Python's urlparse view of it).
struct ParsedOrigin {
  std::string scheme;    // lower-case
  std::string hostname;  // lower-case, IPv6 without brackets; empty when there is none
  std::optional<int> port;
  bool port_valid = true;
};
ParsedOrigin parse_origin(std::string_view origin);

// Django's is_same_domain: exact match, or ".example.com" matching example.com and subdomains.
bool is_same_domain(std::string_view host, std::string_view pattern);

class OriginValidator final : public ScopeMiddleware {
 public:
  OriginValidator(asgi::ApplicationPtr inner, std::vector<std::string> allowed_origins);
  std::string name() const override { return "OriginValidator"; }

  // Whether a handshake with this Origin header (nullopt: none sent) may pass.
  bool allows(const std::optional<std::string>& origin) const;

 protected:
  std::optional<Denial> process(asgi::Scope& scope) const override;

 private:
  bool matches(const ParsedOrigin& origin, std::string_view pattern) const;
  std::vector<std::string> allowed_;
};

// An OriginValidator allowing the hosts a deployment serves (Django's ALLOWED_HOSTS; with
// `debug` and an empty list: localhost, 127.0.0.1 and [::1], as Channels does).
asgi::ApplicationPtr AllowedHostsOriginValidator(asgi::ApplicationPtr inner,
                                                 std::vector<std::string> allowed_hosts,
                                                 bool debug = false);

// The Origin header of a scope, if present (latin-1 bytes taken as they are).
std::optional<std::string> origin_of(const asgi::Scope& scope);

}  // namespace laurel::middleware
