// tests/auth/session_store_test.cpp
#include "auth/session_store.h"

#include <gtest/gtest.h>

#include <set>

#include "auth/signing.h"
#include "reference_vectors.h"

namespace laurel::auth {
namespace {

using testing::django_vectors;
using testing::secret_key;

const Json& sessions() { return django_vectors().at("sessions"); }
SessionKeys keys() { return SessionKeys{secret_key(), {}}; }

TEST(SessionStore, DecodesTheSessionDjangoWroteAtLogin) {
  const auto& db = sessions().at("db_session");
  std::string data = db.at("django_session_row").at("session_data");
  auto decoded = decode_session(data, keys());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, db.at("decoded"));
  EXPECT_EQ(session_user_id(*decoded), 1);
  EXPECT_TRUE(session_hash_matches(
      *decoded, sessions().at("user").at("auth_user_row").at("password").get<std::string>(),
      keys()));
}

TEST(SessionStore, EncodesTheSameBytesDjangoWrote) {
  const auto& db = sessions().at("db_session");
  std::string expected = db.at("django_session_row").at("session_data");
  double signed_at = db.at("session_data_parts").at("timestamp").get<double>();
  // Re-encode the dict Django signed (insertion order as parsed) at Django's signing time.
  EXPECT_EQ(encode_session(db.at("decoded"), keys(), signed_at), expected);
  EXPECT_EQ(django_json_dumps(db.at("decoded")), db.at("payload_json").get<std::string>());
}

TEST(SessionStore, LoginKeysAreWrittenInDjangosOrderAndForm) {
  const auto& db = sessions().at("db_session");
  std::string password_hash = sessions().at("user").at("auth_user_row").at("password");
  SessionData data = SessionData::object();
  set_session_user(data, 1, password_hash, keys());
  EXPECT_EQ(django_json_dumps(data), db.at("payload_json").get<std::string>());
  double signed_at = db.at("session_data_parts").at("timestamp").get<double>();
  EXPECT_EQ(encode_session(data, keys(), signed_at),
            db.at("django_session_row").at("session_data").get<std::string>());
}

TEST(SessionStore, TamperedOrForeignSessionsDecodeToNothing) {
  std::string data = sessions().at("db_session").at("django_session_row").at("session_data");
  EXPECT_FALSE(decode_session(data, SessionKeys{"another-secret", {}}));
  std::string tampered = data;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_session(tampered, keys()));
  // The signed-cookie salt is a different key: a cookie value is not a db session.
  std::string cookie = sessions().at("signed_cookies_session").at("cookie_value");
  EXPECT_FALSE(decode_session(cookie, keys()));
  // Signed with the right key and salt, but not a dict.
  DumpsOptions o;
  o.salt = std::string(kSessionSalt);
  EXPECT_FALSE(decode_session(dumps(Json::array({1}), secret_key(), o), keys()));
}

TEST(SessionStore, SecretKeyFallbacksStillDecode) {
  std::string data = sessions().at("db_session").at("django_session_row").at("session_data");
  EXPECT_TRUE(decode_session(data, SessionKeys{"rotated-secret", {secret_key()}}));
}

TEST(SignedCookieSession, MatchesDjangoAndEnforcesTheCookieAge) {
  const auto& sc = sessions().at("signed_cookies_session");
  std::string cookie = sc.at("cookie_value");
  double signed_at = sc.at("parts").at("timestamp").get<double>();
  auto decoded = decode_signed_cookie_session(cookie, keys(), signed_at + 10);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, sc.at("decoded"));
  EXPECT_EQ(encode_signed_cookie_session(sc.at("decoded"), keys(), signed_at), cookie);
  EXPECT_TRUE(decode_signed_cookie_session(cookie, keys(), signed_at + kSessionCookieAgeSeconds));
  EXPECT_FALSE(
      decode_signed_cookie_session(cookie, keys(), signed_at + kSessionCookieAgeSeconds + 1));
}

TEST(SessionAuthHash, MatchesDjangoIncludingTheLegacySha1Form) {
  const auto& v = sessions().at("session_auth_hash");
  std::string password = v.at("value");
  EXPECT_EQ(session_auth_hash(password, secret_key()), v.at("sha256_hexdigest").get<std::string>());
  EXPECT_EQ(legacy_session_auth_hash(password, secret_key()),
            v.at("legacy_sha1_hexdigest").get<std::string>());
}

TEST(SessionAuthHash, APasswordChangeInvalidatesTheSession) {
  std::string old_hash = sessions().at("user").at("auth_user_row").at("password");
  SessionData data = sessions().at("db_session").at("decoded");
  EXPECT_TRUE(session_hash_matches(data, old_hash, keys()));
  EXPECT_FALSE(session_hash_matches(data, old_hash + "x", keys()));
  SessionData legacy = data;
  legacy[std::string(kSessionHashKey)] = legacy_session_auth_hash(old_hash, secret_key());
  EXPECT_FALSE(session_hash_matches(legacy, old_hash, keys()));
  EXPECT_TRUE(session_hash_matches(legacy, old_hash, keys(), /*accept_legacy_sha1=*/true));
  SessionData missing = SessionData::object();
  EXPECT_FALSE(session_hash_matches(missing, old_hash, keys()));
}

TEST(SessionUser, NeedsAnAcceptedBackendAndANumericId) {
  SessionData data = sessions().at("db_session").at("decoded");
  EXPECT_EQ(session_user_id(data), 1);
  EXPECT_FALSE(session_user_id(data, {"myproject.backends.Other"}));
  data[std::string(kSessionUserIdKey)] = "1x";
  EXPECT_FALSE(session_user_id(data));
  data[std::string(kSessionUserIdKey)] = 7;
  EXPECT_EQ(session_user_id(data), 7);
  data.erase(std::string(kSessionBackendKey));
  EXPECT_FALSE(session_user_id(data));
}

TEST(SessionKey, ThirtyTwoCharsFromDjangosAlphabetAndNeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string key = new_session_key();
    ASSERT_EQ(key.size(), 32u);
    for (char c : key) ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << key;
    EXPECT_TRUE(is_valid_session_key(key));
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_TRUE(
      is_valid_session_key(sessions().at("db_session").at("cookie_value").get<std::string>()));
  EXPECT_FALSE(is_valid_session_key("short"));
  EXPECT_FALSE(is_valid_session_key("has;semicolon-and=more"));
}

}  // namespace
}  // namespace laurel::auth
