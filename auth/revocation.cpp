// auth/revocation.cpp
#include "auth/revocation.h"

#include <cmath>

namespace laurel::auth {

std::string user_group(std::int64_t user_id) { return "laurel.user." + std::to_string(user_id); }

Task<void> revoke_user_sockets(channel_layer::ChannelLayer& layer, std::int64_t user_id,
                               std::string reason) {
  asgi::Value message = asgi::Value::dict();
  message["type"] = std::string(kSessionRevokedType);
  message["reason"] = std::move(reason);
  co_await layer.group_send(user_group(user_id), std::move(message));
}

void RevokedUsers::revoke(std::int64_t user_id, double now) {
  std::lock_guard lock(mutex_);
  // iat is whole seconds: tokens issued in the second of the logout itself are refused too
  // (failing closed); the token endpoints wait out that second before issuing new ones.
  not_before_[user_id] = std::floor(now) + 1;
}

bool RevokedUsers::token_valid(std::int64_t user_id, double issued_at) const {
  std::lock_guard lock(mutex_);
  auto it = not_before_.find(user_id);
  return it == not_before_.end() || issued_at >= it->second;
}

double RevokedUsers::not_before(std::int64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = not_before_.find(user_id);
  return it == not_before_.end() ? 0.0 : it->second;
}

}  // namespace laurel::auth
