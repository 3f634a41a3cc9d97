// auth/session_store.cpp
#include "auth/session_store.h"

#include <charconv>

#include "auth/encoding.h"
#include "auth/signing.h"

namespace laurel::auth {
namespace {

constexpr std::string_view kAuthHashSalt =
    "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";
constexpr std::string_view kSessionKeyAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

DumpsOptions session_options(std::string_view salt, const SessionKeys& keys) {
  DumpsOptions options;
  options.salt = std::string(salt);
  options.compress = true;
  options.fallback_keys = keys.fallback_keys;
  return options;
}

std::optional<SessionData> only_dicts(std::optional<Json> value) {
  if (!value || !value->is_object()) return std::nullopt;
  return value;
}

}  // namespace

std::string encode_session(const SessionData& data, const SessionKeys& keys, double now) {
  return dumps(data, keys.secret_key, session_options(kSessionSalt, keys), now);
}

std::string encode_session(const SessionData& data, const SessionKeys& keys) {
  return encode_session(data, keys, unix_now());
}

std::optional<SessionData> decode_session(std::string_view session_data, const SessionKeys& keys) {
  return only_dicts(loads(session_data, keys.secret_key, session_options(kSessionSalt, keys)));
}

std::string encode_signed_cookie_session(const SessionData& data, const SessionKeys& keys,
                                         double now) {
  return dumps(data, keys.secret_key, session_options(kSignedCookieSessionSalt, keys), now);
}

std::optional<SessionData> decode_signed_cookie_session(std::string_view cookie_value,
                                                        const SessionKeys& keys, double now,
                                                        int max_age_seconds) {
  return only_dicts(loads(cookie_value, keys.secret_key,
                          session_options(kSignedCookieSessionSalt, keys),
                          static_cast<double>(max_age_seconds), now));
}

std::string new_session_key() { return random_string(32, kSessionKeyAlphabet); }

bool is_valid_session_key(std::string_view key) {
  if (key.size() < 8 || key.size() > 40) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string session_auth_hash(std::string_view password_hash, std::string_view secret) {
  return hex_encode(salted_hmac(kAuthHashSalt, password_hash, secret, HashAlgorithm::kSha256));
}

std::string legacy_session_auth_hash(std::string_view password_hash, std::string_view secret) {
  return hex_encode(salted_hmac(kAuthHashSalt, password_hash, secret, HashAlgorithm::kSha1));
}

void set_session_user(SessionData& data, std::int64_t user_id, std::string_view password_hash,
                      const SessionKeys& keys, std::string_view backend) {
  if (!data.is_object()) data = SessionData::object();
  data[std::string(kSessionUserIdKey)] = std::to_string(user_id);
  data[std::string(kSessionBackendKey)] = std::string(backend);
  data[std::string(kSessionHashKey)] = session_auth_hash(password_hash, keys.secret_key);
}

std::optional<std::int64_t> session_user_id(const SessionData& data,
                                            const std::vector<std::string>& backends) {
  if (!data.is_object()) return std::nullopt;
  auto id = data.find(std::string(kSessionUserIdKey));
  auto backend = data.find(std::string(kSessionBackendKey));
  if (id == data.end() || backend == data.end() || !backend->is_string()) return std::nullopt;
  bool known = false;
  for (const auto& b : backends) known = known || b == backend->get_ref<const std::string&>();
  if (!known) return std::nullopt;
  // Django stores the pk as a string; AutoField.to_python also takes an int.
  if (id->is_number_integer()) return id->get<std::int64_t>();
  if (!id->is_string()) return std::nullopt;
  const auto& text = id->get_ref<const std::string&>();
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool session_hash_matches(const SessionData& data, std::string_view password_hash,
                          const SessionKeys& keys, bool accept_legacy_sha1) {
  if (!data.is_object()) return false;
  auto stored = data.find(std::string(kSessionHashKey));
  if (stored == data.end() || !stored->is_string()) return false;
  const auto& hash = stored->get_ref<const std::string&>();
  auto matches_key = [&](std::string_view secret) {
    if (constant_time_equals(hash, session_auth_hash(password_hash, secret))) return true;
    return accept_legacy_sha1 &&
           constant_time_equals(hash, legacy_session_auth_hash(password_hash, secret));
  };
  if (matches_key(keys.secret_key)) return true;
  for (const auto& fallback : keys.fallback_keys) {
    if (matches_key(fallback)) return true;
  }
  return false;
}

}  // namespace laurel::auth
