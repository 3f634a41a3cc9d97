// channel_layer/redis_message_codec.cpp
#include "channel_layer/redis_message_codec.h"

#include <cstdint>

#include "channel_layer/redis_wire.h"

namespace laurel::channel_layer {
namespace wire = redis_wire;

RedisMessageCodec::RedisMessageCodec(const std::vector<std::string>& keys,
                                     std::chrono::seconds expiry)
    : expiry_(expiry) {
  if (!keys.empty()) fernet_.emplace(keys);
}

std::string RedisMessageCodec::encode(const asgi::Value& message, double now) const {
  if (!fernet_) return wire::serialize(message);
  return wire::random_prefix() +
         fernet_->encrypt(wire::pack(message), static_cast<std::uint64_t>(now));
}

asgi::Value RedisMessageCodec::decode(std::string_view member, double now) const {
  if (!fernet_) return wire::deserialize(member);
  if (member.size() <= wire::kRandomPrefixBytes) {
    throw wire::WireError("stored message shorter than its prefix");
  }
  return wire::unpack(fernet_->decrypt(member.substr(wire::kRandomPrefixBytes),
                                       static_cast<std::uint64_t>(now),
                                       static_cast<std::uint64_t>(expiry_.count()) + 10));
}

}  // namespace laurel::channel_layer
