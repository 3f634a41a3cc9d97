// channel_layer/redis_address.h
#pragma once

// Where one Redis shard lives, parsed from the URLs channels_redis accepts in its `hosts` list:
// `redis://[[user]:password@]host[:port][/db]` and `unix://[[user]:password@]/path?db=N`.

#include <string>
#include <string_view>

namespace laurel::channel_layer {

struct RedisAddress {
  std::string host;      // TCP host; empty for a unix socket
  int port = 6379;
  std::string path;      // unix socket path; empty for TCP
  std::string username;  // Redis 6 ACL user; empty for plain AUTH <password>
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT db when not 0

  bool is_unix() const { return !path.empty(); }
  // The URL without credentials, for log lines and errors.
  std::string display() const;

  // Throws std::invalid_argument naming what is wrong (e.g. rediss:// needs TLS, unsupported).
  static RedisAddress parse(std::string_view url);
};

}  // namespace laurel::channel_layer
