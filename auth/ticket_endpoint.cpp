// auth/ticket_endpoint.cpp
// /auth/ticket: a short-lived single-use ticket for `?ticket=`, to a Bearer or session caller.
#include "auth/csrf.h"
#include "auth/endpoint_handlers.h"
#include "auth/request_user.h"

namespace laurel::auth::endpoints {
namespace {

using asgi::Value;

}  // namespace

Task<Response> ticket(const AuthConfig& config, Request request) {
  bool bearer_present = false;
  UserPtr user = co_await bearer_user(config, request, &bearer_present);
  if (!bearer_present) {
    if (auto failed = check_csrf(request.scope)) co_return *failed;
    user = (co_await session_user(config, request)).first;
  }
  if (!user) co_return not_authenticated();
  std::string value = config.tickets->issue(user->id, config.now(), config.ticket_lifetime_seconds);
  if (value.empty()) {
    co_return json_response(503, Value{{"error", "unavailable"}, {"detail", "Try again later."}});
  }
  co_return json_response(200, Value{{"ticket", value},
                                     {"expires_in", static_cast<std::int64_t>(
                                                        config.ticket_lifetime_seconds)}});
}

}  // namespace laurel::auth::endpoints
