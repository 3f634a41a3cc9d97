// auth/jwt.h
#pragma once

// HS256 JSON Web Tokens with djangorestframework-simplejwt's claims, so tokens laurel issues
// are accepted by a Django project's JWTAuthentication and the reverse. Verification is
// strict: HS256 only, constant-time signature check, exp/nbf/iat with zero leeway, and the
// token_type the caller expects. Errors say which failure it was so the handshake can answer
// "refresh" (expired) apart from "log in again" (everything else).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/django_json.h"

namespace laurel::auth {

inline constexpr std::int64_t kAccessTokenLifetimeSeconds = 300;     // simplejwt default
inline constexpr std::int64_t kRefreshTokenLifetimeSeconds = 86400;  // simplejwt default

enum class JwtError {
  kNone,          // valid
  kMalformed,     // not three base64url segments of JSON objects, or a claim of the wrong type
  kBadAlgorithm,  // header alg is not HS256 (including "none")
  kBadSignature,  // HMAC does not match the key
  kExpired,       // now >= exp: the client should refresh
  kNotYetValid,   // nbf or iat in the future
  kWrongType,     // token_type is not the one expected (a refresh token used as access)
  kMissingClaim,  // no exp, token_type, jti or user id claim
};

const char* jwt_error_name(JwtError error);

// The claims simplejwt puts in every token, in its order.
struct TokenClaims {
  std::string token_type;  // "access" | "refresh"
  std::int64_t exp = 0;    // UNIX seconds
  std::int64_t iat = 0;    // UNIX seconds
  std::string jti;         // uuid4 hex, 32 chars
  Json user_id;            // user.id: an integer for Django's AutoField, else a string
  Json payload;            // the whole decoded payload, including claims laurel does not name

  // The user id as an auth_user pk, whether the token carried 1 or "1".
  std::optional<std::int64_t> user_pk() const;
};

struct JwtVerifyOptions {
  std::string expected_type = "access";   // empty: any type
  std::string user_id_claim = "user_id";  // simplejwt's USER_ID_CLAIM
  std::size_t max_token_bytes = 8192;     // refuse before decoding anything larger
};

struct JwtResult {
  std::optional<TokenClaims> claims;
  JwtError error = JwtError::kMalformed;
  explicit operator bool() const { return error == JwtError::kNone; }
};

// JWS compact serialization of `payload` with header {"alg":"HS256","typ":"JWT"}; the payload
// keeps its key order and is written with Python's compact separators, as PyJWT does.
std::string encode_jwt(const Json& payload, std::string_view key);

// Verifies `token` at wall-clock `now` (seconds).
JwtResult verify_jwt(std::string_view token, std::string_view key, double now,
                     const JwtVerifyOptions& options = {});

// A fresh token as simplejwt's AccessToken.for_user / RefreshToken.for_user make it.
std::string make_token(std::string_view token_type, const Json& user_id, std::int64_t now,
                       std::int64_t lifetime_seconds, std::string_view key,
                       std::string_view user_id_claim = "user_id");

// simplejwt's `refresh.access_token`: every refresh claim except token_type/exp/jti is copied
// (so iat and user_id are the refresh token's), with a new jti and exp = now + lifetime.
std::string access_token_for(const TokenClaims& refresh, std::int64_t now, std::string_view key,
                             std::int64_t lifetime_seconds = kAccessTokenLifetimeSeconds);

// uuid4().hex: 32 lowercase hex chars from OpenSSL's CSPRNG.
std::string new_jti();

}  // namespace laurel::auth
