// middleware/default_stack.h
#pragma once

// laurel's secure-by-default WebSocket stack, outermost first:
//   CookieMiddleware → SessionMiddleware → AuthMiddleware   (browsers: the Django session)
//   → TokenAuthMiddleware  (native apps: Bearer / Token / subprotocol / ticket; replaces the
//                           session user when present; a bad credential is a 401)
//   → CookieOriginPolicy   (403 for a cookie-authenticated socket from a foreign or missing
//                           Origin; token clients need no Origin)
//   → SocketAuthGuard      (plain "bearer" subprotocol answer, per-user group for 4401 on
//                           logout/revocation, 4408 at token expiry with in-band refresh)
//   → [FirstMessageAuth]   (opt-in)
//   → inner
// Routes that need a user wrap their application in LoginRequired (middleware/login_required.h).

#include <string>
#include <vector>

#include "auth/auth_config.h"
#include "middleware/socket_auth_guard.h"
#include "middleware/token_auth_middleware.h"

namespace laurel::middleware {

struct WebsocketStackOptions {
  TokenAuthOptions token;
  SocketGuardOptions guard;
  bool debug = false;                  // empty allowed_hosts then means localhost
  bool first_message_auth = false;     // opt-in (middleware/first_message_auth.h)
  std::chrono::milliseconds first_message_deadline{5000};
};

asgi::ApplicationPtr default_websocket_stack(asgi::ApplicationPtr inner,
                                             auth::AuthConfigPtr config,
                                             std::vector<std::string> allowed_hosts,
                                             WebsocketStackOptions options = {});

}  // namespace laurel::middleware
