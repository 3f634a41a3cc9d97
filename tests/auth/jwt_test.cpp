// tests/auth/jwt_test.cpp
#include "auth/jwt.h"

#include <gtest/gtest.h>

#include "auth/encoding.h"
#include "reference_vectors.h"

namespace laurel::auth {
namespace {

using testing::django_vectors;
using testing::secret_key;

const Json& simplejwt() { return django_vectors().at("simplejwt"); }

TEST(Jwt, EncodesSimplejwtsFixedTokenByteForByte) {
  const auto& v = simplejwt().at("fixed_access_token");
  EXPECT_EQ(encode_jwt(v.at("payload"), v.at("signing_key").get<std::string>()),
            v.at("token").get<std::string>());
}

TEST(Jwt, VerifiesTheFixedTokenWhileItLivesAndReportsExpiryAfter) {
  const auto& v = simplejwt().at("fixed_access_token");
  std::string token = v.at("token");
  auto ok = verify_jwt(token, secret_key(), 1700000299.9);
  ASSERT_TRUE(ok) << jwt_error_name(ok.error);
  EXPECT_EQ(ok.claims->token_type, "access");
  EXPECT_EQ(ok.claims->exp, 1700000300);
  EXPECT_EQ(ok.claims->iat, 1700000000);
  EXPECT_EQ(ok.claims->jti, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(ok.claims->user_pk(), 1);
  EXPECT_EQ(verify_jwt(token, secret_key(), 1700000300.0).error, JwtError::kExpired);
}

TEST(Jwt, VerifiesTheLiveSimplejwtPairWithTheRightTypes) {
  const auto& live = simplejwt().at("live");
  std::string access = live.at("access");
  std::string refresh = live.at("refresh");
  double issued = live.at("access_payload").at("iat").get<double>();
  auto a = verify_jwt(access, secret_key(), issued + 1);
  ASSERT_TRUE(a) << jwt_error_name(a.error);
  EXPECT_EQ(a.claims->payload, live.at("access_payload"));
  EXPECT_EQ(a.claims->user_pk(), live.at("jwt_authentication_user_id").get<std::int64_t>());
  EXPECT_EQ(verify_jwt(refresh, secret_key(), issued + 1).error, JwtError::kWrongType);
  JwtVerifyOptions want_refresh;
  want_refresh.expected_type = "refresh";
  auto r = verify_jwt(refresh, secret_key(), issued + 1, want_refresh);
  ASSERT_TRUE(r);
  EXPECT_EQ(verify_jwt(access, secret_key(), issued + 1, want_refresh).error, JwtError::kWrongType);
  EXPECT_EQ(
      verify_jwt(access, secret_key(), issued + live.at("access_lifetime_s").get<double>()).error,
      JwtError::kExpired);
  // simplejwt's refresh.access_token: iat and user_id from the refresh token, exp from now.
  auto derived = access_token_for(*r.claims, static_cast<std::int64_t>(issued), secret_key());
  auto d = verify_jwt(derived, secret_key(), issued + 1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d.claims->exp, live.at("access_payload").at("exp").get<std::int64_t>());
  EXPECT_EQ(d.claims->iat, r.claims->iat);
  EXPECT_EQ(d.claims->user_id, r.claims->user_id);
  EXPECT_NE(d.claims->jti, r.claims->jti);
}

TEST(Jwt, RefusesAnotherKeyAndAlteredPayloads) {
  std::string token = simplejwt().at("fixed_access_token").at("token");
  EXPECT_EQ(verify_jwt(token, "another key", 1700000001).error, JwtError::kBadSignature);
  // Same header and signature, payload claiming user 2.
  auto first = token.find('.');
  auto last = token.rfind('.');
  std::string forged =
      token.substr(0, first + 1) +
      base64url_encode(
          R"({"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"0123456789abcdef0123456789abcdef","user_id":2})") +
      token.substr(last);
  EXPECT_EQ(verify_jwt(forged, secret_key(), 1700000001).error, JwtError::kBadSignature);
}

TEST(Jwt, RefusesAnyAlgorithmButHs256) {
  std::string payload =
      base64url_encode(R"({"token_type":"access","exp":9999999999,"iat":1,"jti":"x","user_id":1})");
  std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  EXPECT_EQ(verify_jwt(none, secret_key(), 2).error, JwtError::kBadAlgorithm);
  std::string hs512 = base64url_encode(R"({"alg":"HS512","typ":"JWT"})") + "." + payload + ".c2ln";
  EXPECT_EQ(verify_jwt(hs512, secret_key(), 2).error, JwtError::kBadAlgorithm);
}

TEST(Jwt, MalformedTokensAreMalformed) {
  for (const char* bad :
       {"", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.!!!.sig", "W10.e30.", "e30.W10."}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(verify_jwt(bad, secret_key(), 2).error, JwtError::kMalformed);
  }
  EXPECT_EQ(verify_jwt(std::string(9000, 'a'), secret_key(), 2).error, JwtError::kMalformed);
}

TEST(Jwt, ClaimsAreCheckedWithZeroLeeway) {
  auto token = [](const Json& payload) { return encode_jwt(payload, secret_key()); };
  Json base = {
      {"token_type", "access"}, {"exp", 2000}, {"iat", 1000}, {"jti", "j"}, {"user_id", 5}};
  EXPECT_TRUE(verify_jwt(token(base), secret_key(), 1000.0));
  EXPECT_EQ(verify_jwt(token(base), secret_key(), 999.0).error, JwtError::kNotYetValid);
  Json nbf = base;
  nbf["nbf"] = 1500;
  EXPECT_EQ(verify_jwt(token(nbf), secret_key(), 1499.0).error, JwtError::kNotYetValid);
  EXPECT_TRUE(verify_jwt(token(nbf), secret_key(), 1500.0));
  for (const char* claim : {"exp", "token_type", "jti", "user_id"}) {
    Json missing = base;
    missing.erase(claim);
    EXPECT_EQ(verify_jwt(token(missing), secret_key(), 1500.0).error, JwtError::kMissingClaim)
        << claim;
  }
  Json string_exp = base;
  string_exp["exp"] = "2000";
  EXPECT_EQ(verify_jwt(token(string_exp), secret_key(), 1500.0).error, JwtError::kMalformed);
  Json string_user = base;
  string_user["user_id"] = "5";
  auto s = verify_jwt(token(string_user), secret_key(), 1500.0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s.claims->user_pk(), 5);
}

TEST(Jwt, MakeTokenWritesSimplejwtsClaimsInItsOrder) {
  std::string t = make_token("refresh", 42, 1700000000, kRefreshTokenLifetimeSeconds, secret_key());
  JwtVerifyOptions o;
  o.expected_type = "refresh";
  auto r = verify_jwt(t, secret_key(), 1700000000.5, o);
  ASSERT_TRUE(r);
  std::vector<std::string> keys;
  for (const auto& [k, v] : r.claims->payload.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"token_type", "exp", "iat", "jti", "user_id"}));
  EXPECT_EQ(r.claims->exp, 1700000000 + 86400);
  EXPECT_EQ(r.claims->jti.size(), 32u);
  EXPECT_EQ(r.claims->jti[12], '4');  // uuid4
}

}  // namespace
}  // namespace laurel::auth
