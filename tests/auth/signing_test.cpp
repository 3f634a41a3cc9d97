// tests/auth/signing_test.cpp
#include "auth/signing.h"

#include <gtest/gtest.h>

#include "auth/encoding.h"
#include "reference_vectors.h"

namespace laurel::auth {
namespace {

using testing::django_vectors;
using testing::frozen_time;
using testing::secret_key;

const Json& signing() { return django_vectors().at("signing"); }

TEST(SaltedHmac, MatchesDjangoForSha256AndSha1) {
  ASSERT_EQ(signing().at("salted_hmac").size(), 4u);
  for (const auto& v : signing().at("salted_hmac")) {
    auto algorithm = v.at("algorithm") == "sha1" ? HashAlgorithm::kSha1 : HashAlgorithm::kSha256;
    std::string mac =
        salted_hmac(v.at("key_salt").get<std::string>(), v.at("value").get<std::string>(),
                    v.at("secret").get<std::string>(), algorithm);
    EXPECT_EQ(hex_encode(mac), v.at("hexdigest").get<std::string>());
    EXPECT_EQ(base64url_encode(mac), v.at("b64url_nopad").get<std::string>());
  }
}

TEST(Base62, MatchesDjangoBaseconvBothWays) {
  for (const auto& v : signing().at("base62")) {
    auto n = v.at("int").get<std::uint64_t>();
    std::string text = v.at("base62");
    EXPECT_EQ(base62_encode(n), text);
    EXPECT_EQ(base62_decode(text), n);
  }
  EXPECT_FALSE(base62_decode(""));
  EXPECT_FALSE(base62_decode("ab-c"));
  EXPECT_FALSE(base62_decode("zzzzzzzzzzzz"));  // overflows 64 bits
}

TEST(FormDecode, DecodesPlusAndEscapesAndKeepsMalformedOnes) {
  // As Python's urllib.parse.unquote_plus.
  EXPECT_EQ(form_decode("a+b%20c%2Bd"), "a b c+d");
  EXPECT_EQ(form_decode("p%C3%A4ss%3D%26"), "p\xc3\xa4ss=&");
  EXPECT_EQ(form_decode("100%"), "100%");
  EXPECT_EQ(form_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(form_decode(""), "");
}

TEST(Signer, SignsLikeDjangoWithExplicitAndDefaultSalt) {
  const auto& v = signing().at("Signer");
  Signer::Options laurel_test;
  laurel_test.salt = "laurel.test";
  EXPECT_EQ(Signer(secret_key(), laurel_test).sign("hello"), v[0].at("signed").get<std::string>());
  Signer::Options sha1 = laurel_test;
  sha1.algorithm = HashAlgorithm::kSha1;
  EXPECT_EQ(Signer(secret_key(), sha1).sign("hello"), v[1].at("signed").get<std::string>());
  EXPECT_EQ(Signer(secret_key()).sign("hello"), v[2].at("signed").get<std::string>());
}

TEST(Signer, UnsignVerifiesAndRefusesTampering) {
  Signer::Options o;
  o.salt = "laurel.test";
  Signer signer(secret_key(), o);
  std::string signed_value = signing().at("Signer")[0].at("signed");
  EXPECT_EQ(signer.unsign(signed_value), "hello");
  SignatureError error;
  EXPECT_FALSE(signer.unsign("hellp" + signed_value.substr(5), &error));
  EXPECT_EQ(error, SignatureError::kBadSignature);
  EXPECT_FALSE(signer.unsign("no separator here", &error));
  EXPECT_EQ(error, SignatureError::kMalformed);
  EXPECT_FALSE(Signer("another key", o).unsign(signed_value));
  Signer::Options other_salt;
  other_salt.salt = "laurel.other";
  EXPECT_FALSE(Signer(secret_key(), other_salt).unsign(signed_value));
}

TEST(Signer, LegacySha1SignatureOnlyWhenEnabled) {
  std::string legacy = signing().at("Signer")[1].at("signed");
  Signer::Options o;
  o.salt = "laurel.test";
  EXPECT_FALSE(Signer(secret_key(), o).unsign(legacy));
  o.accept_legacy_sha1 = true;
  EXPECT_EQ(Signer(secret_key(), o).unsign(legacy),
            signing().at("Signer")[1].at("unsign_with_default_signer").get<std::string>());
}

TEST(Signer, FallbackKeysVerifyButNeverSign) {
  Signer::Options o;
  o.salt = "laurel.test";
  o.fallback_keys = {secret_key()};
  Signer rotated("the-new-secret-key", o);
  std::string old_signed = signing().at("Signer")[0].at("signed");
  EXPECT_EQ(rotated.unsign(old_signed), "hello");
  EXPECT_NE(rotated.sign("hello"), old_signed);
}

TEST(TimestampSigner, SignsWithBase62TimeLikeDjango) {
  const auto& v = signing().at("Signer")[3];
  Signer::Options o;
  o.salt = "laurel.test";
  TimestampSigner signer(secret_key(), o);
  std::string expected = v.at("signed");
  EXPECT_EQ(signer.sign("hello", frozen_time()), expected);
  EXPECT_EQ(TimestampSigner::timestamp_of(expected), 1700000000u);
  EXPECT_EQ(signer.unsign(expected, std::nullopt, frozen_time() + 1e6), "hello");
}

TEST(Dumps, EveryDjangoVectorIsReproducedAndLoadsBack) {
  const auto& dumps_vectors = signing().at("dumps");
  ASSERT_EQ(dumps_vectors.size(), 10u);
  for (const auto& v : dumps_vectors) {
    std::string expected = v.at("result");
    SCOPED_TRACE(expected);
    DumpsOptions o;
    o.salt = v.at("salt");
    o.compress = v.at("compress");
    EXPECT_EQ(django_json_dumps(v.at("obj")), v.at("payload_json").get<std::string>());
    EXPECT_EQ(dumps(v.at("obj"), secret_key(), o, v.at("timestamp").get<double>()), expected);
    auto loaded = loads(expected, secret_key(), o, std::nullopt, frozen_time());
    ASSERT_TRUE(loaded);
    EXPECT_EQ(*loaded, v.at("obj"));
    EXPECT_FALSE(loads(expected, "wrong-key", o, std::nullopt, frozen_time()));
  }
}

TEST(Loads, MaxAgeIsEnforcedAsDjangoDoes) {
  const auto& v = signing().at("max_age");
  std::string value = v.at("value");
  double now = v.at("now");
  auto ok = loads(value, secret_key(), {}, 100.0, now);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, v.at("max_age_100"));
  SignatureError error = SignatureError::kNone;
  EXPECT_FALSE(loads(value, secret_key(), {}, 99.0, now, &error));
  EXPECT_EQ(error, SignatureError::kExpired);
  ASSERT_FALSE(v.at("max_age_99").is_null());  // Django raised SignatureExpired too
}

TEST(Loads, SignedButCorruptPayloadIsRefused) {
  TimestampSigner signer(secret_key(), Signer::Options{.salt = "django.core.signing"});
  SignatureError error;
  // Correctly signed, but "." promises zlib and the bytes are not a zlib stream.
  EXPECT_FALSE(loads(signer.sign(".bm90IHpsaWI", frozen_time()), secret_key(), {}, std::nullopt,
                     frozen_time(), &error));
  EXPECT_EQ(error, SignatureError::kBadPayload);
  EXPECT_FALSE(loads(signer.sign(base64url_encode("{not json"), frozen_time()), secret_key(), {},
                     std::nullopt, frozen_time(), &error));
  EXPECT_EQ(error, SignatureError::kBadPayload);
}

}  // namespace
}  // namespace laurel::auth
