// middleware/login_required.cpp
#include "middleware/login_required.h"

#include "asgi/metrics.h"
#include "middleware/auth_middleware.h"

namespace laurel::middleware {

LoginRequired::LoginRequired(asgi::ApplicationPtr inner, std::string realm)
    : ScopeMiddleware(std::move(inner)), realm_(std::move(realm)) {}

std::optional<Denial> LoginRequired::process(asgi::Scope& scope) const {
  if (user_of(scope)->is_authenticated()) return std::nullopt;
  metrics::count_auth_failure("not_authenticated");
  // RFC 6750 §3.1: no error code when the request carried no credentials at all.
  Denial denial = Denial::unauthorized("Bearer realm=\"" + realm_ + "\"",
                                       "{\"error\":\"not_authenticated\"}\n");
  denial.headers[0].second = "application/json";
  return denial;
}

}  // namespace laurel::middleware
