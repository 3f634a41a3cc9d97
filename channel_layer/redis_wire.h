// channel_layer/redis_wire.h
#pragma once

// The bytes and names laurel shares with channels_redis 4.x processes on one Redis: the msgpack
// body behind a 12-byte random prefix, the `__asgi_channel__` routing key, Redis key names, the
// CRC-32 shard choice and process-specific channel names. Pure functions, no I/O, so every rule
// is checked against vectors made by the Python library (tests/reference/channels-redis.json).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/value.h"

namespace laurel::channel_layer::redis_wire {

// Bytes before the msgpack body of every stored message; their only job is to make identical
// messages distinct members of a sorted set. Receivers skip them unread.
inline constexpr std::size_t kRandomPrefixBytes = 12;
// The reserved message key naming the local channel(s) a copy is for: a str from send(), an
// array of str from group_send(). Removed before a message reaches a consumer.
inline constexpr std::string_view kChannelKey = "__asgi_channel__";
// channels_redis blocks at most this long in BZPOPMIN before looping (its brpop_timeout).
inline constexpr int kBlockingPopSeconds = 5;

// A stored message that cannot be decoded (truncated, ext types, int map keys, bad UTF-8).
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// msgpack exactly as Python's `msgpack.packb(message, use_bin_type=True)` writes each value:
// str → str formats, Bytes → bin, smallest int formats (positives unsigned), floats as float64.
// Dict entries go "type" first, then by key, then `__asgi_channel__` (Python keeps insertion
// order; receivers ignore map order). Throws asgi::TypeError for application objects, which
// have no wire form (Python raises TypeError for them too).
std::string pack(const asgi::Value& value);
// The inverse, with Python's `unpackb(raw=False)` rules: str must be UTF-8, map keys must be
// str (bin keys are accepted as text), no ext types, no trailing bytes. An int above INT64_MAX
// (Python can send up to 2**64-1) becomes a float: asgi::Value has no unsigned 64-bit kind.
asgi::Value unpack(std::string_view body);

// random prefix || pack(message): the sorted-set member.
std::string serialize(const asgi::Value& message);
// Strips the random prefix and unpacks; throws WireError when the member is too short.
asgi::Value deserialize(std::string_view member);

// 12 fresh random bytes (not cryptographic: uniqueness is all they give).
std::string random_prefix();

// A decoded message split into what the consumer sees and where it goes.
struct Routed {
  asgi::Value message;                // without `__asgi_channel__`
  std::vector<std::string> channels;  // full channel names; empty when the key was absent
};
// Takes `__asgi_channel__` (str or array of str) out of a decoded message.
Routed take_routing(asgi::Value message);

// Names (channels_redis's key layout).
// A process-specific channel has a '!' ("specific.<client_prefix>!<local>").
bool is_process_specific(std::string_view channel);
// Everything up to and including the first '!', or the whole name for a general channel.
std::string_view non_local_name(std::string_view channel);
// The sorted set holding a channel's queue: prefix + non-local name (no separator).
std::string channel_key(std::string_view prefix, std::string_view channel);
// The sorted set of a group's members: prefix + ":group:" + group.
std::string group_key(std::string_view prefix, std::string_view group);
// The at-least-once backup of a queue: queue key + "$inflight".
std::string inflight_key(std::string_view queue_key);
// "<prefix>.<client_prefix>!<uuid4 hex>", as channels_redis's new_channel().
std::string make_channel_name(std::string_view prefix, std::string_view client_prefix,
                              std::string_view unique_hex);
// 32 lowercase hex digits of a random (version 4) UUID.
std::string uuid4_hex();

// Sharding: zlib CRC-32 of the UTF-8 bytes, low 12 bits, scaled to the ring in IEEE double
// arithmetic as Python does (the integer form differs for a few large rings).
std::uint32_t crc32(std::string_view bytes);
std::size_t shard_for_bucket(std::uint32_t bucket, std::size_t ring_size);
std::size_t consistent_hash(std::string_view value, std::size_t ring_size);

// A sorted-set score or expiry bound as Redis reads it: the shortest decimal that round-trips.
std::string format_score(double seconds);

}  // namespace laurel::channel_layer::redis_wire
