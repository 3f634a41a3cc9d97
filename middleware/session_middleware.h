// middleware/session_middleware.h
#pragma once

// Channels' SessionMiddleware: scope["session"] is the Django session named by the `sessionid`
// cookie, loaded from `django_session` on the thread pool before the inner application starts.
// A consumer reads and changes it through the Session object and saves it with
// `co_await session->save(loop())` (Channels' `await self.scope["session"].asave()`): the row
// is written in Django's format, so Django's views see the change.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/task.h"
#include "auth/auth_config.h"
#include "middleware/async_middleware.h"

namespace laurel::middleware {

// One Django session (the dict of a SessionStore plus its key). Lives in scope["session"];
// shared by every copy of the scope, and used on the connection's loop only.
class Session final : public asgi::Object {
 public:
  explicit Session(auth::AuthConfigPtr config);

  // The cookie value; empty until the session is saved for the first time.
  const std::string& session_key() const;
  const auth::SessionData& data() const;
  // Mutable access marks the session modified (saved by save()).
  auth::SessionData& data();
  bool modified() const { return modified_; }
  bool empty() const { return data().empty(); }
  auth::Timestamp expire_date() const { return expire_date_; }

  // Writes the row (creating a key on first save), with expiry now + the cookie age.
  Task<void> save(asgi::EventLoop& loop);
  // Deletes the row and forgets key and data (Django's flush(): logout, bad auth hash).
  Task<void> flush(asgi::EventLoop& loop);
  // A new key for the same data (Django's cycle_key(), done by login against fixation).
  Task<void> cycle_key(asgi::EventLoop& loop);

  // Used by SessionMiddleware when a row was found.
  void load(std::string key, auth::SessionData data, auth::Timestamp expire_date);

  std::string_view type_name() const override { return "Session"; }

 private:
  auth::AuthConfigPtr config_;
  std::unique_ptr<std::string> key_;  // made by the first save or load
  // Null until first written or loaded: most sockets carry an empty session and never touch it,
  // and an empty object costs an allocation.
  auth::SessionData data_;
  auth::Timestamp expire_date_{};
  bool modified_ = false;
};
using SessionPtr = std::shared_ptr<Session>;

// scope["session"] as a Session, or nullptr when there is none.
SessionPtr session_of(const asgi::Scope& scope);

class SessionMiddleware final : public AsyncMiddleware {
 public:
  SessionMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config);
  std::string name() const override { return "SessionMiddleware"; }

 protected:
  Task<std::optional<Denial>> resolve(asgi::Scope& scope, asgi::EventLoop& loop) const override;

 private:
  auth::AuthConfigPtr config_;
};

}  // namespace laurel::middleware
