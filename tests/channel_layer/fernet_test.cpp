// Fernet as channels_redis uses it (symmetric_encryption_keys): the token the real library wrote
// (tests/reference/channels-redis.json, live.encrypted_send) is reproduced byte for byte and
// opened; key rotation, lifetime and tampering rules; the key file format.

#include "channel_layer/fernet.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "channel_layer/redis_wire.h"

namespace laurel::channel_layer {
namespace {

using nlohmann::json;

json encrypted_vector() {
  std::ifstream in(std::string(LAUREL_REFERENCE_DIR) + "/channels-redis.json");
  EXPECT_TRUE(in.good());
  return json::parse(in)["live"]["encrypted_send"];
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

TEST(Fernet, ReproducesTheTokenChannelsRedisWrote) {
  json v = encrypted_vector();
  std::string secret = v["symmetric_encryption_keys"][0];
  std::uint64_t stamp = v["token_timestamp"];
  std::string plaintext = unhex(v["decrypted_msgpack_hex"]);
  Fernet key = Fernet::from_secret(secret);
  EXPECT_EQ(key.encrypt(plaintext, stamp, unhex(v["token_iv_hex"])),
            v["fernet_token_ascii"].get<std::string>());
  // What the plaintext says, through laurel's msgpack reader.
  EXPECT_EQ(redis_wire::unpack(plaintext), (asgi::Value{{"type", "secret"}, {"v", 7}}));
}

TEST(Fernet, OpensTheTokenWithAnyConfiguredKeyWithinItsLifetime) {
  json v = encrypted_vector();
  std::string token = v["fernet_token_ascii"];
  std::uint64_t stamp = v["token_timestamp"];
  std::uint64_t ttl = v["decrypt_ttl_seconds"];
  std::string plaintext = unhex(v["decrypted_msgpack_hex"]);
  // The vector's first key encrypted it; a list that has it second still opens it (rotation).
  MultiFernet rotated({"laurel-new-key", v["symmetric_encryption_keys"][0]});
  EXPECT_EQ(rotated.decrypt(token, stamp + 5, ttl), plaintext);
  EXPECT_THROW(MultiFernet({"another-key"}).decrypt(token, stamp + 5, ttl), FernetError);
  // Lifetime: expiry + 10 s as channels_redis passes it, and at most 60 s in the future.
  EXPECT_EQ(rotated.decrypt(token, stamp + ttl, ttl), plaintext);
  EXPECT_THROW(rotated.decrypt(token, stamp + ttl + 1, ttl), FernetError);
  EXPECT_EQ(rotated.decrypt(token, stamp - 60, ttl), plaintext);
  EXPECT_THROW(rotated.decrypt(token, stamp - 61, ttl), FernetError);
}

TEST(Fernet, RefusesTamperedAndMalformedTokens) {
  MultiFernet keys({"k1"});
  std::string token = keys.encrypt("hello", 1'800'000'000);
  EXPECT_EQ(keys.decrypt(token, 1'800'000'000, 70), "hello");
  std::string flipped = token;
  flipped[40] = flipped[40] == 'A' ? 'B' : 'A';  // inside the ciphertext
  EXPECT_THROW(keys.decrypt(flipped, 1'800'000'000, 70), FernetError);
  EXPECT_THROW(keys.decrypt("not a token", 1'800'000'000, 70), FernetError);
  EXPECT_THROW(keys.decrypt(token.substr(0, token.size() - 4), 1'800'000'000, 70), FernetError);
  // Fresh IVs: the same message never encrypts to the same token.
  EXPECT_NE(keys.encrypt("hello", 1'800'000'000), token);
  EXPECT_THROW(MultiFernet({}), std::invalid_argument);
}

TEST(Fernet, KeyFileHoldsOneSecretPerLineFirstEncrypts) {
  std::string path = ::testing::TempDir() + "laurel_fernet_keys.txt";
  {
    std::ofstream out(path);
    out << "# channel layer keys, newest first\n\n  new-secret  \nold-secret\r\n";
  }
  EXPECT_EQ(read_symmetric_keys_file(path), (std::vector<std::string>{"new-secret", "old-secret"}));
  {
    std::ofstream out(path);
    out << "# nothing\n";
  }
  EXPECT_THROW(read_symmetric_keys_file(path), std::runtime_error);
  std::remove(path.c_str());
  EXPECT_THROW(read_symmetric_keys_file(path), std::runtime_error);
}

}  // namespace
}  // namespace laurel::channel_layer
