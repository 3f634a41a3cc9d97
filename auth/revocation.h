// auth/revocation.h
#pragma once

// Ending a user's live sockets: every authenticated socket joins the user's group on the
// channel layer (`laurel.user.<id>`), and logout, password change or revocation group_sends
// `{"type": "laurel.session.revoked"}` to it; the socket guard (middleware/socket_auth_guard.h)
// closes each member with 4401. Through the Redis layer this reaches every process.
// The RevokedUsers list also refuses, in this process, access tokens issued before the user
// logged out (a stateless JWT would otherwise reopen a socket until it expires).

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "asgi/task.h"
#include "channel_layer/layer.h"

namespace laurel::auth {

// The group every socket of a user joins.
std::string user_group(std::int64_t user_id);

inline constexpr std::string_view kSessionRevokedType = "laurel.session.revoked";

// Close codes a live socket gets (docs/authentication.md has the table).
inline constexpr int kCloseUnauthorized = 4401;  // logged out / revoked: log in again
inline constexpr int kCloseForbidden = 4403;     // not allowed any more: do not retry
inline constexpr int kCloseTokenExpired = 4408;  // access token expired: refresh, reconnect

// group_sends the revocation message to the user's group; `reason` ("logout",
// "password_change", "revoked") is for the client-facing close reason.
Task<void> revoke_user_sockets(channel_layer::ChannelLayer& layer, std::int64_t user_id,
                               std::string reason);

// Per-process "tokens issued before this second are dead" marks, by user.
class RevokedUsers {
 public:
  void revoke(std::int64_t user_id, double now);
  // False when the user logged out after the token was issued (`issued_at` < the mark).
  bool token_valid(std::int64_t user_id, double issued_at) const;
  // The first `iat` this user's tokens may carry (0: never revoked in this process).
  double not_before(std::int64_t user_id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, double> not_before_;
};

}  // namespace laurel::auth
