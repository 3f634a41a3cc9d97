// middleware/cookie_origin_policy.cpp
#include "middleware/cookie_origin_policy.h"

#include "asgi/metrics.h"

namespace laurel::middleware {

CookieOriginPolicy::CookieOriginPolicy(asgi::ApplicationPtr inner,
                                       std::vector<std::string> allowed_hosts, bool debug)
    : ScopeMiddleware(inner),
      validator_(std::dynamic_pointer_cast<OriginValidator>(
          AllowedHostsOriginValidator(inner, std::move(allowed_hosts), debug))) {}

std::optional<Denial> CookieOriginPolicy::process(asgi::Scope& scope) const {
  if (scope.get_string("type") != "websocket") return std::nullopt;
  const asgi::Value* auth = scope.find("auth");
  bool by_cookie = auth != nullptr && auth->is_dict() && auth->get_string("method") == "session";
  if (!by_cookie || validator_->allows(origin_of(scope))) return std::nullopt;
  metrics::count_auth_failure("origin");
  return Denial::forbidden("Origin not allowed for a cookie-authenticated WebSocket\n");
}

}  // namespace laurel::middleware
