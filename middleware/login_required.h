// middleware/login_required.h
#pragma once

// Refuses a connection whose scope["user"] is not authenticated, at the handshake: HTTP 401
// with `WWW-Authenticate: Bearer realm="laurel"` (log in, then reconnect), never an upgrade
// followed by a close. Put it around the routes that need a user, inside the auth stack.

#include <string>

#include "middleware/middleware.h"

namespace laurel::middleware {

class LoginRequired final : public ScopeMiddleware {
 public:
  explicit LoginRequired(asgi::ApplicationPtr inner, std::string realm = "laurel");
  std::string name() const override { return "LoginRequired"; }

 protected:
  std::optional<Denial> process(asgi::Scope& scope) const override;

 private:
  std::string realm_;
};

}  // namespace laurel::middleware
