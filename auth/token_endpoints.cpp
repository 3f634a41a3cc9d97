// auth/token_endpoints.cpp
// /auth/token and /auth/refresh: JWT access/refresh pairs; each refresh rotates the pair within
// its family, and a reused refresh token revokes the family and the user's sockets.
#include <chrono>
#include <cmath>

#include "auth/endpoint_handlers.h"
#include "auth/endpoints.h"
#include "auth/jwt.h"

namespace laurel::auth::endpoints {
namespace {

using asgi::Value;

// A new refresh token (in `family`, stored hashed) and the access token made from it.
Response token_pair(const AuthConfig& config, const User& user, const std::string& family) {
  auto now = static_cast<std::int64_t>(config.now());
  std::string refresh = make_token("refresh", Json(user.id), now,
                                   config.refresh_lifetime_seconds, config.signing_key());
  JwtResult claims = verify_jwt(refresh, config.signing_key(), static_cast<double>(now),
                                JwtVerifyOptions{.expected_type = "refresh"});
  std::string access =
      access_token_for(*claims.claims, now, config.signing_key(), config.access_lifetime_seconds);
  if (config.refresh_tokens) {
    config.refresh_tokens->add(refresh, family, user.id, static_cast<double>(now),
                               static_cast<double>(now + config.refresh_lifetime_seconds));
  }
  return json_response(200, Value{{"access", access},
                                  {"refresh", refresh},
                                  {"expires_in", config.access_lifetime_seconds},
                                  {"token_type", "Bearer"}});
}

// A token issued in the same second as the user's last logout would be refused (iat is whole
// seconds and a logout refuses its own second), so a login or refresh right behind one waits for
// the next second instead of handing out a token that does not work.
Task<void> after_revocation_second(const AuthConfig& config, asgi::EventLoop& loop,
                                   std::int64_t user_id) {
  double wait = config.revoked->not_before(user_id) - config.now();
  if (wait > 0 && wait <= 1.0) {
    auto ms = static_cast<long>(std::ceil(wait * 1000)) + 5;
    co_await sleep_for(loop, std::chrono::milliseconds(ms));
  }
}

}  // namespace

Task<Response> token(const AuthConfig& config, Request request) {
  auto credentials = credentials_of(request);
  if (!credentials) co_return bad_request("Send username and password in the request body.");
  UserPtr user = co_await config.users->authenticate(*request.loop, credentials->username,
                                                     credentials->password, config.policy);
  if (!user) co_return invalid_credentials();
  co_await config.users->update_last_login(*request.loop, user->id,
                                           timestamp_from_unix(config.now()));
  co_await after_revocation_second(config, *request.loop, user->id);
  // A login starts a new family. (Kept in a local: GCC 12 mishandles a lambda's captures in
  // `co_return co_await`.)
  const AuthConfig* cfg = &config;
  const User* who = user.get();
  Response pair = co_await run_blocking(*request.loop, [cfg, who] {
    return token_pair(*cfg, *who, new_jti());
  });
  co_return pair;
}

Task<Response> refresh(const AuthConfig& config, Request request) {
  if (!config.refresh_tokens) {
    co_return json_response(501, Value{{"error", "unsupported"},
                                       {"detail", "Refresh tokens are not enabled."}});
  }
  auto fields = parse_body_fields(header(request.scope, "content-type"), request.body);
  if (!fields || !fields->contains("refresh")) {
    co_return bad_request("Send the refresh token in the request body.");
  }
  std::string presented((*fields)["refresh"].as_string());
  JwtResult result = verify_jwt(presented, config.signing_key(), config.now(),
                                JwtVerifyOptions{.expected_type = "refresh"});
  if (!result) co_return invalid_grant();
  const AuthConfig* cfg = &config;
  const std::string* token_text = &presented;
  auto consumed = co_await run_blocking(*request.loop, [cfg, token_text] {
    return cfg->refresh_tokens->consume(*token_text, cfg->now());
  });
  if (consumed.status == RefreshTokenStore::Status::kReused) {
    // Two parties hold this token: the family is revoked (by consume), and so are the sockets
    // its access tokens opened.
    config.revoked->revoke(consumed.user_id, config.now());
    co_await notify_sockets(consumed.user_id, "revoked");
    co_return invalid_grant("refresh_token_reused");
  }
  if (consumed.status != RefreshTokenStore::Status::kOk) co_return invalid_grant();
  UserPtr user = co_await config.users->find_by_id(*request.loop, consumed.user_id);
  if (!user || !user->is_active) co_return invalid_grant();
  co_await after_revocation_second(config, *request.loop, user->id);
  const User* who = user.get();
  const std::string* family = &consumed.family;
  Response pair = co_await run_blocking(*request.loop, [cfg, who, family] {
    return token_pair(*cfg, *who, *family);
  });
  co_return pair;
}

}  // namespace laurel::auth::endpoints
