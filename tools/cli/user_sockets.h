// tools/cli/user_sockets.h
#pragma once

// Closing a user's live WebSockets from outside the server process: the command joins the same
// Redis channel layer as the servers (--redis) and group_sends the revocation message to the
// user's group (auth/revocation.h), whose sockets then close with 4401. Without Redis there is
// no way in: the in-memory layer lives inside the server process.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace laurel::cli {

// "" once the message is handed to Redis; otherwise why not (unreachable, timed out...).
// Bounded by `timeout`. `reason` is the close reason the client sees ("password_change",
// "revoked").
std::string close_user_sockets(const std::vector<std::string>& redis_urls, std::int64_t user_id,
                               const std::string& reason,
                               std::chrono::milliseconds timeout = std::chrono::seconds(3));

}  // namespace laurel::cli
