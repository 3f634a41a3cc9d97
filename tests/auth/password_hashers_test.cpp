// tests/auth/password_hashers_test.cpp
#include "auth/password_hashers.h"

#include <gtest/gtest.h>

#include "reference_vectors.h"

namespace laurel::auth {
namespace {

using testing::django_vectors;

PasswordPolicy everything() {
  PasswordPolicy p;
  p.accepted = {"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt",
                "scrypt",        "sha1",        "md5",    "unsalted_sha1", "unsalted_md5"};
  return p;
}

TEST(PasswordHashers, EveryDjangoVectorVerifiesAndAWrongPasswordDoesNot) {
  const auto& vectors = django_vectors().at("passwords");
  ASSERT_GE(vectors.size(), 20u);
  for (const auto& v : vectors) {
    std::string password = v.at("password");
    std::string encoded = v.at("encoded");
    SCOPED_TRACE(encoded);
    EXPECT_EQ(identify_hasher(encoded), v.at("algorithm").get<std::string>());
    EXPECT_EQ(check_password(password, encoded, everything()), v.at("check_password").get<bool>());
    // The wrong-password twin only where it is cheap: the expensive hashes are refused by the
    // same recompute-and-compare path, which the cheap ones exercise.
    bool cheap = (v.contains("iterations") && v.at("iterations").get<int>() <= 1000) ||
                 (v.contains("cost") && v.at("cost").get<int>() == 4) ||
                 v.at("algorithm") == "sha1" || v.at("algorithm") == "md5";
    if (cheap) {
      EXPECT_FALSE(check_password(password + "x", encoded, everything()));
    }
    if (v.contains("check_wrong_password")) {
      EXPECT_FALSE(v.at("check_wrong_password").get<bool>());  // Django refused it too
    }
  }
}

TEST(PasswordHashers, Pbkdf2VectorsAreReproducedByteForByte) {
  int checked = 0;
  for (const auto& v : django_vectors().at("passwords")) {
    if (v.at("algorithm") != "pbkdf2_sha256" || !v.contains("salt")) continue;
    std::string encoded = v.at("encoded");
    int iterations =
        v.contains("iterations") ? v.at("iterations").get<int>() : kDjango32Pbkdf2Iterations;
    // The large counts are recomputed by the verification test already.
    if (iterations > kDjango32Pbkdf2Iterations) continue;
    EXPECT_EQ(make_pbkdf2_sha256(v.at("password").get<std::string>(),
                                 v.at("salt").get<std::string>(), iterations),
              encoded);
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(PasswordHashers, ScryptDocFormatVectorsVerify) {
  for (const auto& v : django_vectors().at("scrypt_doc_format")) {
    std::string encoded = v.at("encoded");
    SCOPED_TRACE(encoded);
    EXPECT_TRUE(check_password(v.at("password").get<std::string>(), encoded));
    EXPECT_FALSE(check_password("wrong", encoded));
  }
}

TEST(PasswordHashers, DefaultPolicyRefusesAlgorithmsDjangoDoesNotListByDefault) {
  for (const auto& v : django_vectors().at("passwords")) {
    std::string algorithm = v.at("algorithm");
    if (algorithm != "sha1" && algorithm != "md5" && algorithm != "bcrypt") continue;
    EXPECT_FALSE(
        check_password(v.at("password").get<std::string>(), v.at("encoded").get<std::string>()));
  }
}

TEST(PasswordHashers, UnusablePasswordsNeverVerify) {
  std::string unusable = make_unusable_password();
  EXPECT_EQ(unusable.size(), 41u);
  EXPECT_EQ(unusable[0], '!');
  EXPECT_FALSE(is_password_usable(unusable));
  EXPECT_FALSE(check_password("", unusable, everything()));
  EXPECT_FALSE(check_password(unusable.substr(1), unusable, everything()));
  // A valid hash behind the prefix is still unusable.
  std::string real = make_pbkdf2_sha256("pw", "saltsaltsaltsaltsalt22", 1);
  EXPECT_TRUE(check_password("pw", real));
  EXPECT_FALSE(check_password("pw", "!" + real));
  EXPECT_FALSE(check_password("pw", ""));
  EXPECT_FALSE(check_password("pw", "nosuchalgo$1$salt$hash"));
}

TEST(PasswordHashers, UnsaltedLegacyFormatsVerifyWhenEnabled) {
  // md5("password") / sha1("password"), the two unsalted layouts Django recognises.
  EXPECT_TRUE(check_password("password", "5f4dcc3b5aa765d61d8327deb882cf99", everything()));
  EXPECT_TRUE(check_password("password", "md5$$5f4dcc3b5aa765d61d8327deb882cf99", everything()));
  EXPECT_TRUE(
      check_password("password", "sha1$$5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", everything()));
  EXPECT_FALSE(check_password("password", "5f4dcc3b5aa765d61d8327deb882cf99"));
}

TEST(PasswordHashers, MakePasswordWritesDjangoFormatWithTheTargetIterations) {
  PasswordPolicy fast;
  fast.pbkdf2_iterations = 1000;
  std::string a = make_password("s3cret", fast);
  std::string b = make_password("s3cret", fast);
  EXPECT_NE(a, b);  // random salts
  EXPECT_EQ(a.rfind("pbkdf2_sha256$1000$", 0), 0u);
  // algorithm$iterations$22-char salt$44-char base64
  EXPECT_EQ(a.size(), std::string("pbkdf2_sha256$1000$").size() + 22 + 1 + 44);
  EXPECT_TRUE(check_password("s3cret", a));
  EXPECT_FALSE(check_password("S3cret", a));
  EXPECT_FALSE(must_update(a, fast));
  EXPECT_EQ(kDefaultPbkdf2Iterations, 1000000);
}

TEST(PasswordHashers, MustUpdateFlagsOldIterationsShortSaltsAndOtherAlgorithms) {
  const PasswordPolicy policy;  // 1,000,000 iterations
  EXPECT_TRUE(must_update("pbkdf2_sha256$260000$laurelSaltFixed0123456$x"));
  EXPECT_FALSE(must_update("pbkdf2_sha256$1000000$laurelSaltFixed0123456$x"));
  EXPECT_FALSE(must_update("pbkdf2_sha256$1200000$laurelSaltFixed0123456$x"));  // never lowered
  EXPECT_TRUE(must_update("pbkdf2_sha256$1000000$shortsalt123$x"));             // 12-char salt
  EXPECT_TRUE(must_update("pbkdf2_sha1$1000000$laurelSaltFixed0123456$x"));
  EXPECT_TRUE(must_update("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA"));
  PasswordPolicy keep_others;
  keep_others.rehash_other_algorithms = false;
  EXPECT_FALSE(must_update("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA", keep_others));
  EXPECT_TRUE(must_update("sha1$salt$abc", keep_others));
  EXPECT_FALSE(must_update("!unusable"));
}

TEST(PasswordHashers, CorruptHashesAreRefusedNotCrashed) {
  for (const char* bad :
       {"pbkdf2_sha256$", "pbkdf2_sha256$abc$salt$hash", "pbkdf2_sha256$0$s$h",
        "pbkdf2_sha256$999999999999$s$h", "argon2$argon2id$v=19$m=999999999,t=2,p=8$c2FsdA$aGFzaA",
        "argon2$nonsense", "bcrypt_sha256$$2b$12$short", "scrypt$3$salt$8$1$x",
        "scrypt$16384$salt$8$1",
        "bcrypt$$2b$99$N9qo8uLOickgx2ZMRZoMyeNK8zsWBMaMSVoubqovVQN3ypdVzHwOW"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(check_password("pw", bad, everything()));
  }
}

}  // namespace
}  // namespace laurel::auth
