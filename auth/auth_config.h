// auth/auth_config.h
#pragma once

// Everything laurel's authentication flows share: where users live, the keys, the ticket and
// refresh-token stores, lifetimes and the clock. One AuthConfig is built at start-up and handed
// (as a shared pointer) to the endpoints (auth/endpoints.h) and the middleware stack
// (middleware/default_stack.h), so both sides agree on keys and stores.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/async_user_store.h"
#include "auth/jwt.h"
#include "auth/password_hashers.h"
#include "auth/refresh_token_store.h"
#include "auth/revocation.h"
#include "auth/session_store.h"
#include "auth/ticket_store.h"

namespace laurel::auth {

struct AuthConfig {
  std::shared_ptr<AsyncUserStore> users;
  SessionKeys keys;             // SECRET_KEY (+ fallbacks): sessions and the session auth hash
  std::string jwt_signing_key;  // simplejwt SIGNING_KEY; empty: keys.secret_key, as simplejwt
  std::shared_ptr<TicketStore> tickets = std::make_shared<TicketStore>();
  std::shared_ptr<RefreshTokenStore> refresh_tokens;  // null: /auth/refresh answers 501
  std::shared_ptr<RevokedUsers> revoked = std::make_shared<RevokedUsers>();
  PasswordPolicy policy;

  std::int64_t access_lifetime_seconds = kAccessTokenLifetimeSeconds;
  std::int64_t refresh_lifetime_seconds = kRefreshTokenLifetimeSeconds;
  double ticket_lifetime_seconds = 10;
  int session_cookie_age_seconds = kSessionCookieAgeSeconds;

  // Wall-clock seconds (token and session expiry). Tests inject a fixed or stepped clock.
  std::function<double()> clock;

  double now() const;
  const std::string& signing_key() const {
    return jwt_signing_key.empty() ? keys.secret_key : jwt_signing_key;
  }
};
using AuthConfigPtr = std::shared_ptr<const AuthConfig>;

}  // namespace laurel::auth
