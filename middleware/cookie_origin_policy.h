// middleware/cookie_origin_policy.h
#pragma once

// laurel's default origin policy for WebSockets: an Origin check only where it protects
// something. A socket that would be authenticated by the session cookie (ambient credentials
// a hostile page's `new WebSocket(...)` also sends) must come from an allowed Origin, else
// HTTP 403 (cross-site WebSocket hijacking). A socket authenticated by a token, a ticket or
// nothing at all passes with any Origin or none, so native apps, which send no Origin, work.
// Place it inside the auth middleware: it reads scope["auth"]["method"].
// (Channels' AllowedHostsOriginValidator, which refuses every handshake without Origin, stays
// available in middleware/origin_validator.h.)

#include <memory>
#include <string>
#include <vector>

#include "middleware/origin_validator.h"

namespace laurel::middleware {

class CookieOriginPolicy final : public ScopeMiddleware {
 public:
  // `allowed_hosts` as Django's ALLOWED_HOSTS (and AllowedHostsOriginValidator): with `debug`
  // and an empty list, localhost, 127.0.0.1 and [::1].
  CookieOriginPolicy(asgi::ApplicationPtr inner, std::vector<std::string> allowed_hosts,
                     bool debug = false);
  std::string name() const override { return "CookieOriginPolicy"; }

 protected:
  std::optional<Denial> process(asgi::Scope& scope) const override;

 private:
  std::shared_ptr<OriginValidator> validator_;  // used for its allows() only
};

}  // namespace laurel::middleware
