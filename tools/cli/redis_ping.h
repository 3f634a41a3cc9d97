// tools/cli/redis_ping.h
#pragma once

// Is a Redis server there and answering: connect (TCP or unix socket), AUTH and SELECT when
// the URL says so, PING, expect PONG, all within a deadline. For `laurel check`.

#include <chrono>
#include <string>

namespace laurel::cli {

// "" when PING got PONG, else the reason ("connection refused", "no answer within 2 s",
// "-NOAUTH Authentication required."). `url` as --redis takes it.
std::string redis_ping(const std::string& url,
                       std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace laurel::cli
