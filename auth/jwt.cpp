// auth/jwt.cpp
#include "auth/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "auth/encoding.h"

namespace laurel::auth {
namespace {

// PyJWT sorts header keys and uses compact separators: these are its exact bytes.
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

std::string hs256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw std::runtime_error("laurel auth: HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::optional<Json> decode_object(std::string_view segment) {
  auto raw = base64url_decode(segment);
  if (!raw) return std::nullopt;
  Json parsed = django_json_loads(*raw);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

// A NumericDate as PyJWT reads it (int(value)): integers, or floats truncated; nothing else.
std::optional<std::int64_t> numeric_date(const Json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9e18) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

JwtResult fail(JwtError error) { return JwtResult{std::nullopt, error}; }

}  // namespace

const char* jwt_error_name(JwtError error) {
  switch (error) {
    case JwtError::kNone:
      return "none";
    case JwtError::kMalformed:
      return "malformed";
    case JwtError::kBadAlgorithm:
      return "bad_algorithm";
    case JwtError::kBadSignature:
      return "bad_signature";
    case JwtError::kExpired:
      return "expired";
    case JwtError::kNotYetValid:
      return "not_yet_valid";
    case JwtError::kWrongType:
      return "wrong_type";
    case JwtError::kMissingClaim:
      return "missing_claim";
  }
  return "unknown";
}

std::optional<std::int64_t> TokenClaims::user_pk() const {
  if (user_id.is_number_integer()) return user_id.get<std::int64_t>();
  if (!user_id.is_string()) return std::nullopt;
  const auto& text = user_id.get_ref<const std::string&>();
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string encode_jwt(const Json& payload, std::string_view key) {
  std::string signing_input = base64url_encode(kHeaderJson);
  signing_input += '.';
  signing_input += base64url_encode(django_json_dumps(payload));
  std::string token = signing_input;
  token += '.';
  token += base64url_encode(hs256(key, signing_input));
  return token;
}

JwtResult verify_jwt(std::string_view token, std::string_view key, double now,
                     const JwtVerifyOptions& options) {
  if (token.empty() || token.size() > options.max_token_bytes) return fail(JwtError::kMalformed);
  auto first = token.find('.');
  auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last || token.find('.', first + 1) != last) {
    return fail(JwtError::kMalformed);
  }
  std::string_view signing_input = token.substr(0, last);
  auto header = decode_object(token.substr(0, first));
  auto payload = decode_object(token.substr(first + 1, last - first - 1));
  auto signature = base64url_decode(token.substr(last + 1));
  if (!header || !payload || !signature) return fail(JwtError::kMalformed);

  // The algorithm is pinned: a token never chooses how it is verified ("none", RS256 with
  // the HMAC secret as a public key, ...).
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return fail(JwtError::kBadAlgorithm);
  }
  if (!constant_time_equals(*signature, hs256(key, signing_input))) {
    return fail(JwtError::kBadSignature);
  }

  TokenClaims claims;
  claims.payload = *payload;
  auto exp = payload->find("exp");
  if (exp == payload->end()) return fail(JwtError::kMissingClaim);
  auto exp_value = numeric_date(*exp);
  if (!exp_value) return fail(JwtError::kMalformed);
  claims.exp = *exp_value;
  if (static_cast<double>(claims.exp) <= now) return fail(JwtError::kExpired);

  auto iat = payload->find("iat");
  if (iat != payload->end()) {
    auto iat_value = numeric_date(*iat);
    if (!iat_value) return fail(JwtError::kMalformed);
    claims.iat = *iat_value;
    if (static_cast<double>(claims.iat) > std::floor(now)) return fail(JwtError::kNotYetValid);
  }
  auto nbf = payload->find("nbf");
  if (nbf != payload->end()) {
    auto nbf_value = numeric_date(*nbf);
    if (!nbf_value) return fail(JwtError::kMalformed);
    if (static_cast<double>(*nbf_value) > std::floor(now)) return fail(JwtError::kNotYetValid);
  }

  auto type = payload->find("token_type");
  if (type == payload->end()) return fail(JwtError::kMissingClaim);
  if (!type->is_string()) return fail(JwtError::kMalformed);
  claims.token_type = type->get<std::string>();
  if (!options.expected_type.empty() && claims.token_type != options.expected_type) {
    return fail(JwtError::kWrongType);
  }
  auto jti = payload->find("jti");
  if (jti == payload->end()) return fail(JwtError::kMissingClaim);
  if (!jti->is_string()) return fail(JwtError::kMalformed);
  claims.jti = jti->get<std::string>();
  auto user_id = payload->find(options.user_id_claim);
  if (user_id == payload->end()) return fail(JwtError::kMissingClaim);
  claims.user_id = *user_id;
  return JwtResult{std::move(claims), JwtError::kNone};
}

std::string new_jti() {
  std::string bytes = random_bytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return hex_encode(bytes);
}

std::string make_token(std::string_view token_type, const Json& user_id, std::int64_t now,
                       std::int64_t lifetime_seconds, std::string_view key,
                       std::string_view user_id_claim) {
  Json payload = Json::object();
  payload["token_type"] = std::string(token_type);
  payload["exp"] = now + lifetime_seconds;
  payload["iat"] = now;
  payload["jti"] = new_jti();
  payload[std::string(user_id_claim)] = user_id;
  return encode_jwt(payload, key);
}

std::string access_token_for(const TokenClaims& refresh, std::int64_t now, std::string_view key,
                             std::int64_t lifetime_seconds) {
  Json payload = Json::object();
  payload["token_type"] = "access";
  payload["exp"] = now + lifetime_seconds;
  payload["iat"] = now;
  payload["jti"] = new_jti();
  for (const auto& [claim, value] : refresh.payload.items()) {
    if (claim == "token_type" || claim == "exp" || claim == "jti") continue;
    payload[claim] = value;
  }
  return encode_jwt(payload, key);
}

}  // namespace laurel::auth
