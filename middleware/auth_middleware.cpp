// middleware/auth_middleware.cpp
#include "middleware/auth_middleware.h"

#include <stdexcept>
#include <utility>

#include "middleware/cookie_middleware.h"
#include "middleware/session_middleware.h"

namespace laurel::middleware {

AuthMiddleware::AuthMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config)
    : AsyncMiddleware(std::move(inner)), config_(std::move(config)) {}

Task<std::optional<Denial>> AuthMiddleware::resolve(asgi::Scope& scope,
                                                    asgi::EventLoop& loop) const {
  SessionPtr session = session_of(scope);
  if (!session) {
    throw std::invalid_argument(
        "Cannot find session in scope. You should wrap your consumer in SessionMiddleware "
        "(AuthMiddleware must be inside SessionMiddleware; use AuthMiddlewareStack)");
  }
  // One shared value for every anonymous socket: no per-connection copy of the pointer.
  static const asgi::Value anonymous = asgi::Value::shared(
      asgi::ObjectPtr(std::const_pointer_cast<auth::User>(auth::anonymous_user())));
  scope["user"] = anonymous;
  // Read through a const reference: looking the user up does not modify the session.
  const auth::SessionData& data = std::as_const(*session).data();
  auto user_id = auth::session_user_id(data);
  if (!user_id) co_return std::nullopt;
  auth::UserPtr user = co_await config_->users->find_by_id(loop, *user_id);
  if (!user || !user->is_active) co_return std::nullopt;
  if (!auth::session_hash_matches(data, user->password, config_->keys)) {
    // The password changed since this session logged in: Django flushes the session.
    co_await session->flush(loop);
    co_return std::nullopt;
  }
  scope["user"] = asgi::ObjectPtr(std::const_pointer_cast<auth::User>(user));
  scope["auth"] = asgi::Value{{"method", "session"}, {"user_id", user->id}};
  co_return std::nullopt;
}

asgi::ApplicationPtr AuthMiddlewareStack(asgi::ApplicationPtr inner, auth::AuthConfigPtr config) {
  auto auth = std::make_shared<AuthMiddleware>(std::move(inner), config);
  auto session = std::make_shared<SessionMiddleware>(std::move(auth), config);
  return std::make_shared<CookieMiddleware>(std::move(session));
}

auth::UserPtr user_of(const asgi::Scope& scope) {
  if (const asgi::Value* value = scope.find("user")) {
    if (auto user = value->as<auth::User>()) return user;
  }
  return auth::anonymous_user();
}

}  // namespace laurel::middleware
