// auth/session_endpoints.cpp
// /auth/login and /auth/logout: Django sessions in `django_session`, the CSRF cookie, and
// logout ending every credential of the user.
#include <cstdio>

#include "auth/csrf.h"
#include "auth/endpoint_handlers.h"
#include "auth/endpoints.h"
#include "auth/request_user.h"
#include "auth/revocation.h"
#include "channel_layer/default_layer.h"

namespace laurel::auth::endpoints {
namespace {

using asgi::Value;

Value user_json(const User& user) {
  return Value{{"id", user.id}, {"username", user.username}};
}

}  // namespace

Task<void> notify_sockets(std::int64_t user_id, std::string reason) {
  if (auto layer = channel_layer::get_channel_layer()) {
    try {
      co_await revoke_user_sockets(*layer, user_id, std::move(reason));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "laurel: closing the sockets of user %lld failed: %s\n",
                   static_cast<long long>(user_id), e.what());
    }
  }
}

Task<Response> login(const AuthConfig& config, Request request) {
  std::string_view method = request.scope.get_string("method");
  bool secure = is_https(request.scope);
  double now = config.now();
  if (method == "GET") {
    // Hands a browser form the CSRF cookie it must echo in X-CSRFToken.
    std::string secret = cookie(request.scope, kCsrfCookieName);
    if (!csrf_secret_of(secret)) secret = new_csrf_secret();
    co_return json_response(
        200, Value{{"csrftoken", secret}},
        {{"set-cookie", set_cookie(kCsrfCookieName, secret, now, kCsrfCookieAgeSeconds, false,
                                   secure)}});
  }
  if (auto failed = check_csrf(request.scope)) co_return *failed;
  auto credentials = credentials_of(request);
  if (!credentials) co_return bad_request("Send username and password in the request body.");
  UserPtr user = co_await config.users->authenticate(*request.loop, credentials->username,
                                                     credentials->password, config.policy);
  if (!user) co_return invalid_credentials();

  // Django's login(): a new session key (no fixation), the three auth keys, last_login.
  std::string old_key = cookie(request.scope, kSessionCookieName);
  SessionData data = SessionData::object();
  set_session_user(data, user->id, user->password, config.keys);
  std::string encoded = encode_session(data, config.keys, now);
  Timestamp expire = timestamp_from_unix(now + config.session_cookie_age_seconds);
  std::string key;
  for (int attempt = 0; attempt < 8 && key.empty(); ++attempt) {
    std::string candidate = new_session_key();
    if (co_await config.users->create_session(*request.loop, candidate, encoded, expire)) {
      key = std::move(candidate);
    }
  }
  if (key.empty()) throw StoreError("could not create a unique session key");
  if (is_valid_session_key(old_key)) co_await config.users->delete_session(*request.loop, old_key);
  co_await config.users->update_last_login(*request.loop, user->id, timestamp_from_unix(now));

  std::string csrf = new_csrf_secret();  // Django rotates the CSRF token on login
  co_return json_response(
      200, Value{{"user", user_json(*user)}, {"csrftoken", csrf}},
      {{"set-cookie", set_cookie(kSessionCookieName, key, now, config.session_cookie_age_seconds,
                                 true, secure)},
       {"set-cookie", set_cookie(kCsrfCookieName, csrf, now, kCsrfCookieAgeSeconds, false,
                                 secure)}});
}

Task<Response> logout(const AuthConfig& config, Request request) {
  bool bearer_present = false;
  UserPtr user = co_await bearer_user(config, request, &bearer_present);
  std::string session_key;
  if (!bearer_present) {
    if (auto failed = check_csrf(request.scope)) co_return *failed;
    auto [session_owner, key] = co_await session_user(config, request);
    user = session_owner;
    session_key = key;
  }
  if (!session_key.empty()) co_await config.users->delete_session(*request.loop, session_key);
  asgi::Headers cookies = {
      {"set-cookie", delete_cookie(kSessionCookieName, is_https(request.scope))}};
  if (!user) {
    // Logging out twice is not an error, and says nothing about the session.
    co_return json_response(200, Value{{"detail", "Logged out."}}, std::move(cookies));
  }
  // Logout is global: every access token issued until now, every refresh token and every live
  // socket of the user end, so a stolen device's credentials die with it.
  config.revoked->revoke(user->id, config.now());
  if (config.refresh_tokens) {
    RefreshTokenStore* store = config.refresh_tokens.get();
    std::int64_t id = user->id;
    co_await run_blocking(*request.loop, [store, id] { store->revoke_user(id); });
  }
  co_await notify_sockets(user->id, "logout");
  co_return json_response(200, Value{{"detail", "Logged out."}}, std::move(cookies));
}

}  // namespace laurel::auth::endpoints
