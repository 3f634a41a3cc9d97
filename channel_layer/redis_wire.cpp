#include "channel_layer/redis_wire.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <random>

namespace laurel::channel_layer::redis_wire {
namespace {

// msgpack-cxx's packer writes to any type with write(const char*, size_t).
struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};
using Packer = msgpack::packer<StringSink>;

void pack_value(Packer& pk, const asgi::Value& v);

void pack_string(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_dict(Packer& pk, const asgi::Dict& dict) {
  pk.pack_map(static_cast<std::uint32_t>(dict.size()));
  // "type" first and the routing key last, as Python senders write them: byte-identical
  // members for the common messages, which makes MONITOR transcripts comparable.
  auto type = dict.find("type");
  auto routing = dict.find(kChannelKey);
  if (type != dict.end()) {
    pack_string(pk, type->first);
    pack_value(pk, type->second);
  }
  for (auto it = dict.begin(); it != dict.end(); ++it) {
    if (it == type || it == routing) continue;
    pack_string(pk, it->first);
    pack_value(pk, it->second);
  }
  if (routing != dict.end()) {
    pack_string(pk, routing->first);
    pack_value(pk, routing->second);
  }
}

void pack_value(Packer& pk, const asgi::Value& v) {
  using Kind = asgi::Value::Kind;
  switch (v.kind()) {
    case Kind::kNull: pk.pack_nil(); return;
    case Kind::kBool: v.as_bool() ? pk.pack_true() : pk.pack_false(); return;
    case Kind::kInt: pk.pack_int64(v.as_int()); return;
    case Kind::kFloat: pk.pack_double(v.as_float()); return;
    case Kind::kString: pack_string(pk, v.as_string()); return;
    case Kind::kBytes: {
      std::string_view b = v.as_bytes();
      pk.pack_bin(static_cast<std::uint32_t>(b.size()));
      pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
      return;
    }
    case Kind::kList:
      pk.pack_array(static_cast<std::uint32_t>(v.as_list().size()));
      for (const auto& item : v.as_list()) pack_value(pk, item);
      return;
    case Kind::kDict: pack_dict(pk, v.as_dict()); return;
    case Kind::kObject:
      throw asgi::TypeError("can not serialize '" + std::string(v.as_object()->type_name()) +
                            "' object into a channel layer message; send plain values");
  }
}

// RFC 3629 UTF-8 (no overlongs, no surrogates, at most U+10FFFF), as Python's decoder checks.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::string text_of(const msgpack::object& o) {
  std::string s(o.via.str.ptr, o.via.str.size);
  if (!valid_utf8(s)) throw WireError("msgpack str is not valid UTF-8");
  return s;
}

asgi::Value to_value(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<double>(o.via.u64);
      }
      return static_cast<std::int64_t>(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return static_cast<std::int64_t>(o.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR: return text_of(o);
    case msgpack::type::BIN: return asgi::Bytes{std::string(o.via.bin.ptr, o.via.bin.size)};
    case msgpack::type::ARRAY: {
      asgi::List list;
      list.reserve(o.via.array.size);
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) list.push_back(to_value(o.via.array.ptr[i]));
      return list;
    }
    case msgpack::type::MAP: {
      asgi::Dict dict;
      dict.reserve(o.via.map.size);
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string key;
        if (kv.key.type == msgpack::type::STR) {
          key = text_of(kv.key);
        } else if (kv.key.type == msgpack::type::BIN) {
          key.assign(kv.key.via.bin.ptr, kv.key.via.bin.size);
        } else {
          throw WireError("msgpack map key is not a str (Python senders cannot read it either)");
        }
        dict.append_unordered(key, to_value(kv.val));
      }
      dict.restore_order(asgi::Dict::Repeated::kKeepLast);  // later duplicates win
      return dict;
    }
    case msgpack::type::EXT:
      throw WireError("msgpack ext types are not part of the channel layer format");
  }
  throw WireError("unknown msgpack type");
}

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  return engine;
}

}  // namespace

std::string pack(const asgi::Value& value) {
  std::string out;
  StringSink sink{out};
  Packer pk(sink);
  pack_value(pk, value);
  return out;
}

asgi::Value unpack(std::string_view body) {
  // Nesting bound: a hostile member must not exhaust the stack during conversion. Size bounds:
  // every element takes at least a byte, so no valid body declares more elements (or longer
  // strings) than it has bytes; without them a 5-byte array header makes msgpack reserve room for
  // four billion elements before reading any (found by tools/fuzz/value_fuzz.cpp).
  auto most = static_cast<std::size_t>(std::min<std::size_t>(body.size(), 0xffffffff));
  msgpack::unpack_limit limit(most, most / 2, most, most, most, 256);
  std::size_t offset = 0;
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(body.data(), body.size(), offset, nullptr, nullptr, limit);
  } catch (const std::exception& e) {
    throw WireError(std::string("malformed msgpack: ") + e.what());
  }
  if (offset != body.size()) throw WireError("extra bytes after the msgpack message");
  return to_value(handle.get());
}

std::string random_prefix() {
  std::string out(kRandomPrefixBytes, '\0');
  auto& engine = random_engine();
  for (std::size_t i = 0; i < kRandomPrefixBytes; i += 8) {
    std::uint64_t r = engine();
    std::memcpy(out.data() + i, &r, std::min<std::size_t>(8, kRandomPrefixBytes - i));
  }
  return out;
}

std::string serialize(const asgi::Value& message) {
  std::string out = random_prefix();
  StringSink sink{out};
  Packer pk(sink);
  pack_value(pk, message);
  return out;
}

asgi::Value deserialize(std::string_view member) {
  if (member.size() <= kRandomPrefixBytes) throw WireError("stored message shorter than its prefix");
  return unpack(member.substr(kRandomPrefixBytes));
}

Routed take_routing(asgi::Value message) {
  Routed routed;
  if (message.is_dict()) {
    auto& dict = message.as_dict();
    if (auto it = dict.find(kChannelKey); it != dict.end()) {
      if (it->second.is_string()) {
        routed.channels.push_back(std::string(it->second.as_string()));
      } else if (it->second.is_list()) {
        for (const auto& c : it->second.as_list()) {
          if (c.is_string()) routed.channels.push_back(std::string(c.as_string()));
        }
      }
      dict.erase(it);
    }
  }
  routed.message = std::move(message);
  return routed;
}

bool is_process_specific(std::string_view channel) {
  return channel.find('!') != std::string_view::npos;
}

std::string_view non_local_name(std::string_view channel) {
  auto bang = channel.find('!');
  return bang == std::string_view::npos ? channel : channel.substr(0, bang + 1);
}

std::string channel_key(std::string_view prefix, std::string_view channel) {
  std::string key(prefix);
  key.append(non_local_name(channel));
  return key;
}

std::string group_key(std::string_view prefix, std::string_view group) {
  std::string key(prefix);
  key.append(":group:");
  key.append(group);
  return key;
}

std::string inflight_key(std::string_view queue_key) {
  std::string key(queue_key);
  key.append("$inflight");
  return key;
}

std::string make_channel_name(std::string_view prefix, std::string_view client_prefix,
                              std::string_view unique_hex) {
  std::string name(prefix);
  name += '.';
  name.append(client_prefix);
  name += '!';
  name.append(unique_hex);
  return name;
}

std::string uuid4_hex() {
  std::array<unsigned char, 16> b{};
  auto& engine = random_engine();
  std::uint64_t hi = engine(), lo = engine();
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 0x0F];
  }
  return out;
}

std::uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::size_t shard_for_bucket(std::uint32_t bucket, std::size_t ring_size) {
  if (ring_size <= 1) return 0;
  // Python: int(bigval / (4096 / float(ring_size))). Keep the two roundings it does.
  double divisor = 4096.0 / static_cast<double>(ring_size);
  return static_cast<std::size_t>(static_cast<double>(bucket) / divisor);
}

std::size_t consistent_hash(std::string_view value, std::size_t ring_size) {
  if (ring_size <= 1) return 0;
  return shard_for_bucket(crc32(value) & 0xFFF, ring_size);
}

std::string format_score(double seconds) {
  std::array<char, 64> buf{};
  auto result = std::to_chars(buf.data(), buf.data() + buf.size(), seconds);
  return std::string(buf.data(), result.ptr);
}

}  // namespace laurel::channel_layer::redis_wire
