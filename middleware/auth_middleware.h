// middleware/auth_middleware.h
#pragma once

// Channels' AuthMiddleware and AuthMiddlewareStack: scope["user"] is the user the Django
// session logged in (`_auth_user_id` through ModelBackend), or the anonymous user. The session
// auth hash is checked as Django checks it, so a password change ends every other session: a
// session whose hash no longer matches is flushed (its row deleted) and the user is anonymous.
// An authenticated scope also gets scope["auth"] = {"method": "session", "user_id": id}.

#include <optional>

#include "auth/auth_config.h"
#include "auth/user_store.h"
#include "middleware/async_middleware.h"

namespace laurel::middleware {

class AuthMiddleware final : public AsyncMiddleware {
 public:
  AuthMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config);
  std::string name() const override { return "AuthMiddleware"; }

 protected:
  Task<std::optional<Denial>> resolve(asgi::Scope& scope, asgi::EventLoop& loop) const override;

 private:
  auth::AuthConfigPtr config_;
};

// CookieMiddleware(SessionMiddleware(AuthMiddleware(inner))), as Channels' AuthMiddlewareStack.
asgi::ApplicationPtr AuthMiddlewareStack(asgi::ApplicationPtr inner, auth::AuthConfigPtr config);

// scope["user"] as an auth::User (the anonymous user when absent or of another kind).
auth::UserPtr user_of(const asgi::Scope& scope);

}  // namespace laurel::middleware
