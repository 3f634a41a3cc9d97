// auth/request_user.cpp
#include "auth/request_user.h"

#include "auth/jwt.h"

namespace laurel::auth::endpoints {

Task<UserPtr> bearer_user(const AuthConfig& config, const Request& request, bool* present) {
  std::string authorization = header(request.scope, "authorization");
  *present = authorization.rfind("Bearer ", 0) == 0;
  if (!*present) co_return nullptr;
  std::string token(trim(std::string_view(authorization).substr(7)));
  JwtResult result = verify_jwt(token, config.signing_key(), config.now());
  if (!result) co_return nullptr;
  auto uid = result.claims->user_pk();
  if (!uid || !config.revoked->token_valid(*uid, static_cast<double>(result.claims->iat))) {
    co_return nullptr;
  }
  UserPtr user = co_await config.users->find_by_id(*request.loop, *uid);
  co_return user && user->is_active ? user : nullptr;
}

Task<std::pair<UserPtr, std::string>> session_user(const AuthConfig& config,
                                                   const Request& request) {
  std::string key = cookie(request.scope, kSessionCookieName);
  if (!is_valid_session_key(key)) co_return std::pair<UserPtr, std::string>{nullptr, {}};
  auto stored = co_await config.users->load_session(*request.loop, key,
                                                    timestamp_from_unix(config.now()));
  if (!stored) co_return std::pair<UserPtr, std::string>{nullptr, {}};
  auto data = decode_session(stored->session_data, config.keys);
  auto uid = data ? session_user_id(*data) : std::nullopt;
  if (!uid) co_return std::pair<UserPtr, std::string>{nullptr, key};
  UserPtr user = co_await config.users->find_by_id(*request.loop, *uid);
  if (!user || !user->is_active || !session_hash_matches(*data, user->password, config.keys)) {
    co_return std::pair<UserPtr, std::string>{nullptr, key};
  }
  co_return std::pair<UserPtr, std::string>{user, key};
}

}  // namespace laurel::auth::endpoints
