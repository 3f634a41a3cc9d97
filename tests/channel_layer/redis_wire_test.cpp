// Every entry of tests/reference/channels-redis.json (made by the real channels_redis 4.0.0 and
// msgpack 1.0.3) checked against laurel's wire functions: bytes, key names, shard indexes.

#include "channel_layer/redis_wire.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <regex>

namespace laurel::channel_layer {
namespace {

namespace wire = redis_wire;
using nlohmann::json;

json vectors() {
  std::ifstream in(std::string(LAUREL_REFERENCE_DIR) + "/channels-redis.json");
  EXPECT_TRUE(in.good()) << "missing tests/reference/channels-redis.json";
  return json::parse(in);
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The vectors spell Python bytes as {"$bytes_hex": "..."}; ints above INT64_MAX have no
// asgi::Value form and become floats, as laurel's decoder makes them.
asgi::Value to_value(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return nullptr;
    case json::value_t::boolean: return j.get<bool>();
    case json::value_t::number_integer: return j.get<std::int64_t>();
    case json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<double>(u);
      }
      return static_cast<std::int64_t>(u);
    }
    case json::value_t::number_float: return j.get<double>();
    case json::value_t::string: return j.get<std::string>();
    case json::value_t::array: {
      asgi::List list;
      for (const auto& item : j) list.push_back(to_value(item));
      return list;
    }
    case json::value_t::object: {
      if (j.size() == 1 && j.contains("$bytes_hex")) {
        return asgi::Bytes{unhex(j["$bytes_hex"].get<std::string>())};
      }
      asgi::Dict dict;
      for (const auto& [k, v] : j.items()) dict.emplace(k, to_value(v));
      return dict;
    }
    default: ADD_FAILURE() << "unexpected JSON type"; return nullptr;
  }
}

bool has_unsigned_beyond_int64(const json& j) {
  if (j.is_number_unsigned()) {
    return j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  }
  if (j.is_structured()) {
    for (const auto& item : j) {
      if (has_unsigned_beyond_int64(item)) return true;
    }
  }
  return false;
}

// The encoded entries of a top-level msgpack map, each as (key bytes + value bytes): map order
// carries no meaning for receivers, the bytes of each entry do.
std::multiset<std::string> map_entries(const std::string& packed) {
  std::size_t offset = 0;
  auto head = static_cast<unsigned char>(packed.at(0));
  std::size_t n;
  if ((head & 0xF0) == 0x80) {
    n = head & 0x0F;
    offset = 1;
  } else {
    EXPECT_EQ(head, 0xDE);
    n = (static_cast<unsigned char>(packed[1]) << 8) | static_cast<unsigned char>(packed[2]);
    offset = 3;
  }
  std::multiset<std::string> entries;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t start = offset;
    msgpack::unpack(packed.data(), packed.size(), offset);  // key
    msgpack::unpack(packed.data(), packed.size(), offset);  // value
    entries.insert(packed.substr(start, offset - start));
  }
  EXPECT_EQ(offset, packed.size());
  return entries;
}

std::vector<std::string> keys_in_order(const json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  return keys;
}

TEST(RedisWire, DecodesEveryMsgpackVectorLikePython) {
  json v = vectors();
  ASSERT_EQ(v["msgpack"].size(), 8u);
  for (const auto& entry : v["msgpack"]) {
    SCOPED_TRACE(entry["msgpack_hex"].get<std::string>());
    asgi::Value decoded = wire::unpack(unhex(entry["msgpack_hex"]));
    EXPECT_EQ(decoded, to_value(entry["roundtrip"])) << decoded.repr();
  }
}

TEST(RedisWire, EncodesEveryMsgpackVectorEntryByteForByte) {
  json v = vectors();
  for (const auto& entry : v["msgpack"]) {
    std::string expected = unhex(entry["msgpack_hex"]);
    SCOPED_TRACE(entry["msgpack_hex"].get<std::string>());
    if (has_unsigned_beyond_int64(entry["message"])) continue;  // next test
    std::string packed = wire::pack(to_value(entry["message"]));
    EXPECT_EQ(map_entries(packed), map_entries(expected));
    // Python kept insertion order; where that is laurel's order ("type" first, then by key,
    // then __asgi_channel__) the whole message is identical.
    std::vector<std::string> python_order = keys_in_order(entry["message"]);
    std::vector<std::string> laurel_order;
    asgi::Value message = to_value(entry["message"]);
    for (const auto& [k, _] : message.as_dict()) {
      if (k != "type" && k != "__asgi_channel__") laurel_order.push_back(k.str());
    }
    laurel_order.insert(laurel_order.begin(), "type");
    if (entry["message"].contains("__asgi_channel__")) laurel_order.push_back("__asgi_channel__");
    if (python_order == laurel_order) {
      EXPECT_EQ(hex(packed), hex(expected));
    }
  }
}

TEST(RedisWire, EncodesEveryIntegerFormatAsPython) {
  // The "ints" vector: each element's bytes from Python's array, element by element (2**64-1
  // has no asgi::Value form; laurel decodes it as a float, checked above).
  json v = vectors();
  const json* ints = nullptr;
  for (const auto& entry : v["msgpack"]) {
    if (entry["message"].contains("ints")) ints = &entry;
  }
  ASSERT_NE(ints, nullptr);
  std::string expected = unhex((*ints)["msgpack_hex"]);
  std::size_t offset = expected.find("\xa4ints");
  ASSERT_NE(offset, std::string::npos);
  offset += 5 + 3;  // "ints" key, then the array16 header dc 00 10
  for (const auto& n : (*ints)["message"]["ints"]) {
    std::size_t start = offset;
    msgpack::unpack(expected.data(), expected.size(), offset);
    std::string python_bytes = expected.substr(start, offset - start);
    if (has_unsigned_beyond_int64(n)) continue;
    EXPECT_EQ(hex(wire::pack(to_value(n))), hex(python_bytes)) << n.dump();
  }
  EXPECT_EQ(offset, expected.size());
}

TEST(RedisWire, LiveMembersDecodeAndKeysMatch) {
  json live = vectors()["live"];
  std::regex call_channel(R"(send\('([^']+)')");
  const std::string prefix = "laurelvec";

  for (const char* name : {"send_general", "send_specific"}) {
    SCOPED_TRACE(name);
    const json& e = live[name];
    std::smatch m;
    std::string call = e["call"];
    ASSERT_TRUE(std::regex_search(call, m, call_channel));
    std::string channel = m[1];
    EXPECT_EQ(wire::channel_key(prefix, channel), e["redis_key"].get<std::string>());
    std::string member = unhex(e["member_hex"]);
    EXPECT_EQ(hex(member.substr(0, wire::kRandomPrefixBytes)), e["random_prefix_hex"].get<std::string>());
    EXPECT_EQ(wire::deserialize(member), to_value(e["decoded"]));
    // Encode what laurel's send() stores for the same call: identical body bytes.
    asgi::Value message = to_value(e["decoded"]);
    EXPECT_EQ(hex(wire::pack(message)), e["msgpack_hex"].get<std::string>());
    auto routed = wire::take_routing(std::move(message));
    if (wire::is_process_specific(channel)) {
      EXPECT_EQ(routed.channels, std::vector<std::string>{channel});
    } else {
      EXPECT_TRUE(routed.channels.empty());
    }
    EXPECT_FALSE(routed.message.contains(wire::kChannelKey));
  }

  const json& g = live["group_send_two_channels_one_process"];
  EXPECT_EQ(wire::group_key(prefix, "chat_lobby"), g["group_key"].get<std::string>());
  EXPECT_EQ(wire::channel_key(prefix, g["A"].get<std::string>()), g["redis_key"].get<std::string>());
  EXPECT_EQ(wire::channel_key(prefix, g["B"].get<std::string>()), g["redis_key"].get<std::string>());
  asgi::Value copy = {{"type", "chat.message"}, {"message", "hi"}};
  copy[wire::kChannelKey] = asgi::Value::list({g["A"].get<std::string>(), g["B"].get<std::string>()});
  EXPECT_EQ(hex(wire::pack(copy)), g["msgpack_hex"].get<std::string>());
  auto routed = wire::take_routing(wire::deserialize(unhex(g["member_hex"])));
  EXPECT_EQ(routed.channels, (std::vector<std::string>{g["A"], g["B"]}));
  EXPECT_EQ(routed.message, (asgi::Value{{"type", "chat.message"}, {"message", "hi"}}));
  EXPECT_EQ(g["message_ttl"].get<int>(), 60);  // LayerConfig's default expiry
  EXPECT_EQ(g["group_ttl"].get<int>(), 86400);  // LayerConfig's default group_expiry

  // Encryption (symmetric_encryption_keys) is not implemented by laurel; the plaintext inside
  // the Fernet token is still the same msgpack.
  const json& enc = live["encrypted_send"];
  EXPECT_EQ(wire::unpack(unhex(enc["decrypted_msgpack_hex"])), to_value(enc["decoded"]));
  EXPECT_EQ(hex(wire::pack(to_value(enc["decoded"]))), enc["decrypted_msgpack_hex"].get<std::string>());
}

TEST(RedisWire, ShardIndexesMatchConsistentHash) {
  json v = vectors();
  for (const auto& e : v["consistent_hash"]) {
    std::string value = e["value"];
    SCOPED_TRACE(value);
    EXPECT_EQ(wire::crc32(value), e["crc32"].get<std::uint32_t>());
    EXPECT_EQ(wire::crc32(value) & 0xFFF, e["crc32_and_0xfff"].get<std::uint32_t>());
    for (const auto& [ring, index] : e["index_by_ring_size"].items()) {
      EXPECT_EQ(wire::consistent_hash(value, std::stoul(ring)), index.get<std::size_t>()) << ring;
    }
  }
  for (const auto& e : v["consistent_hash_float_edge_cases"]) {
    EXPECT_EQ(wire::shard_for_bucket(e["crc32_and_0xfff"], e["ring_size"]),
              e["python_index"].get<std::size_t>());
    EXPECT_NE(wire::shard_for_bucket(e["crc32_and_0xfff"], e["ring_size"]),
              e["integer_formula_b_times_n_div_4096"].get<std::size_t>());
  }
}

TEST(RedisWire, SerializePutsTwelveRandomBytesBeforeTheBody) {
  asgi::Value m = {{"type", "hello"}, {"n", 1}};
  std::string a = wire::serialize(m), b = wire::serialize(m);
  EXPECT_EQ(a.substr(12), wire::pack(m));
  EXPECT_EQ(hex(a.substr(12)), "82a474797065a568656c6c6fa16e01");
  EXPECT_NE(a.substr(0, 12), b.substr(0, 12));  // distinct sorted-set members
  EXPECT_EQ(wire::deserialize(a), m);
}

TEST(RedisWire, NewChannelNamesHaveChannelsRedisShape) {
  std::string name = wire::make_channel_name("specific", "0123456789abcdef0123456789abcdef",
                                             wire::uuid4_hex());
  EXPECT_TRUE(std::regex_match(name, std::regex("specific\\.[0-9a-f]{32}![0-9a-f]{32}")));
  EXPECT_EQ(name.size(), 74u);
  EXPECT_EQ(wire::non_local_name(name), "specific.0123456789abcdef0123456789abcdef!");
  EXPECT_NE(wire::uuid4_hex(), wire::uuid4_hex());
  EXPECT_EQ(wire::inflight_key("asgispecific.x!"), "asgispecific.x!$inflight");
}

TEST(RedisWire, RefusesWhatPythonCannotRead) {
  EXPECT_THROW(wire::unpack(unhex("8201")), wire::WireError);                // map cut short
  EXPECT_THROW(wire::unpack(unhex("8101a161")), wire::WireError);            // int map key
  EXPECT_THROW(wire::unpack(unhex("a2c328")), wire::WireError);              // invalid UTF-8 str
  EXPECT_THROW(wire::unpack(unhex("d4010000")), wire::WireError);            // ext type
  EXPECT_THROW(wire::unpack(unhex("c0c0")), wire::WireError);                // trailing bytes
  EXPECT_THROW(wire::unpack(unhex("a5616263")), wire::WireError);            // truncated
  EXPECT_THROW(wire::deserialize("short"), wire::WireError);
  EXPECT_EQ(wire::unpack(unhex("ca3fc00000")), asgi::Value(1.5));            // float32 accepted
  std::string deep(300, '\x91');
  deep += '\xc0';
  EXPECT_THROW(wire::unpack(deep), wire::WireError);  // nesting bound
}

TEST(RedisWire, SizesAClientCannotBackWithBytesAreRefusedBeforeAnyAllocation) {
  // A five-byte header claiming four billion elements: refused at once, not reserved for.
  EXPECT_THROW(wire::unpack(unhex("ddffffffff")), wire::WireError);      // array32
  EXPECT_THROW(wire::unpack(unhex("dfffffffff")), wire::WireError);      // map32
  EXPECT_THROW(wire::unpack(unhex("dbffffffff61")), wire::WireError);    // str32
  EXPECT_THROW(wire::unpack(unhex("c6ffffffff00")), wire::WireError);    // bin32
  EXPECT_EQ(wire::unpack(unhex("dd00000002c0c0")), asgi::Value::list({asgi::Value(), asgi::Value()}));
  EXPECT_EQ(wire::unpack(unhex("80")), asgi::Value::dict());
}

}  // namespace
}  // namespace laurel::channel_layer
