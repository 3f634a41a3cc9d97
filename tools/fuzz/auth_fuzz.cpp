// tools/fuzz/auth_fuzz.cpp — libFuzzer target for the parsers authentication runs on what a
// client sends: cookie headers, form and query bodies, base64/base62 text, CSRF tokens, Django's
// session JSON, bearer JWTs (as sent, and correctly signed around arbitrary payloads, so the
// claims parser sees anything), and Django signed values (as sent, and correctly signed around
// arbitrary text, so decoding and decompression see anything). Built and run by
// tools/fuzz/run.sh (clang, ASan + UBSan).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

#include "auth/csrf.h"
#include "auth/django_json.h"
#include "auth/encoding.h"
#include "auth/jwt.h"
#include "auth/signing.h"
#include "middleware/cookie_middleware.h"

namespace {

namespace auth = laurel::auth;
constexpr std::string_view kKey = "fuzzing-secret-key-of-a-django-site";
constexpr double kNow = 1.8e9;

std::string hs256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n);
  return std::string(reinterpret_cast<const char*>(mac), n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)auth::form_decode(text);
  (void)auth::base64_decode(text);
  (void)auth::base64url_decode(text);
  (void)auth::base62_decode(text);
  (void)auth::endpoints::csrf_secret_of(text);
  (void)laurel::middleware::parse_cookie_header(text);
  try {
    auth::Json json = auth::django_json_loads(text);
    (void)auth::django_json_dumps(json);
  } catch (const std::exception&) {
  }

  (void)auth::verify_jwt(text, kKey, kNow);
  std::string input = auth::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      auth::base64url_encode(text);
  std::string token = input + "." + auth::base64url_encode(hs256(kKey, input));
  auth::JwtResult signed_result = auth::verify_jwt(token, kKey, kNow, {.expected_type = ""});
  if (signed_result.error == auth::JwtError::kBadSignature) __builtin_trap();  // it was signed

  (void)auth::loads(text, kKey, {}, std::nullopt, kNow);
  auth::TimestampSigner signer(std::string(kKey), {.salt = "django.core.signing"});
  (void)auth::loads(signer.sign(text, kNow), kKey, {}, std::nullopt, kNow);
  return 0;
}
