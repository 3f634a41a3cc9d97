// channel_layer/redis_message_codec.h
#pragma once

// How the Redis channel layer turns a message into the sorted-set member it stores, and back:
// 12 random bytes, then the msgpack body, or its Fernet token when channels_redis's
// symmetric_encryption_keys are set (sealed with the first key, opened with any: rotation).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/value.h"
#include "channel_layer/fernet.h"

namespace laurel::channel_layer {

class RedisMessageCodec {
 public:
  // `keys`: symmetric_encryption_keys, empty for plain msgpack. `expiry`: the layer's message
  // expiry; channels_redis accepts a token for `expiry + 10` seconds.
  RedisMessageCodec(const std::vector<std::string>& keys, std::chrono::seconds expiry);

  bool encrypted() const { return fernet_.has_value(); }
  // `now`: the layer's wall clock (Unix seconds), which stamps and checks tokens.
  std::string encode(const asgi::Value& message, double now) const;
  // Throws redis_wire::WireError or FernetError (a peer with other keys, or none).
  asgi::Value decode(std::string_view member, double now) const;

 private:
  std::optional<MultiFernet> fernet_;
  std::chrono::seconds expiry_;
};

}  // namespace laurel::channel_layer
