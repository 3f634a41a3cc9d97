// auth/session_store.h
#pragma once

// Django session data, encoded as Django encodes it (no storage here): the signed, compressed
// JSON that goes in `django_session.session_data` (db backend) or in the cookie itself
// (signed_cookies backend), session keys, and the keys `login()` writes — `_auth_user_id`,
// `_auth_user_backend`, `_auth_user_hash` — with the session auth hash that makes a password
// change log out every other session.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/django_json.h"

namespace laurel::auth {

// A session dict; insertion-ordered like Python's, since its JSON bytes are signed.
using SessionData = Json;

inline constexpr std::string_view kSessionCookieName = "sessionid";
inline constexpr int kSessionCookieAgeSeconds = 1209600;  // two weeks, Django's default
// The salt every Django session store class signs with ("django.contrib.sessions." + the class
// name, and every store class is called SessionStore).
inline constexpr std::string_view kSessionSalt = "django.contrib.sessions.SessionStore";
inline constexpr std::string_view kSignedCookieSessionSalt =
    "django.contrib.sessions.backends.signed_cookies";

inline constexpr std::string_view kSessionUserIdKey = "_auth_user_id";
inline constexpr std::string_view kSessionBackendKey = "_auth_user_backend";
inline constexpr std::string_view kSessionHashKey = "_auth_user_hash";
inline constexpr std::string_view kModelBackend = "django.contrib.auth.backends.ModelBackend";

struct SessionKeys {
  std::string secret_key;                  // SECRET_KEY
  std::vector<std::string> fallback_keys;  // SECRET_KEY_FALLBACKS (Django >= 4.1)
};

// db backend: signing.dumps(data, salt=kSessionSalt, compress=True) at `now`.
std::string encode_session(const SessionData& data, const SessionKeys& keys, double now);
std::string encode_session(const SessionData& data, const SessionKeys& keys);
// nullopt for a bad signature or undecodable data; Django then treats the session as empty.
// The signing timestamp is not checked: the row's expire_date is the expiry.
std::optional<SessionData> decode_session(std::string_view session_data, const SessionKeys& keys);

// signed_cookies backend: the cookie value itself, checked against SESSION_COOKIE_AGE on load.
std::string encode_signed_cookie_session(const SessionData& data, const SessionKeys& keys,
                                         double now);
std::optional<SessionData> decode_signed_cookie_session(
    std::string_view cookie_value, const SessionKeys& keys, double now,
    int max_age_seconds = kSessionCookieAgeSeconds);

// 32 characters from [a-z0-9] from OpenSSL's CSPRNG, like Django's _get_new_session_key.
std::string new_session_key();
// Django accepts keys of 8 characters or more; laurel also bounds them to the column
// (varchar(40)) and to the alphabet a cookie can carry unquoted.
bool is_valid_session_key(std::string_view key);

// hex(salted_hmac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
// password_hash, secret)): 64 hex chars, over the whole encoded password string.
std::string session_auth_hash(std::string_view password_hash, std::string_view secret);
// Django 3.2's legacy sha1 variant (40 hex chars), which its get_user still accepted.
std::string legacy_session_auth_hash(std::string_view password_hash, std::string_view secret);

// The three keys Django's login() stores, in its order, merged into `data` (existing keys keep
// their position). `user_id` is stored as a string, as Django stores the pk.
void set_session_user(SessionData& data, std::int64_t user_id, std::string_view password_hash,
                      const SessionKeys& keys, std::string_view backend = kModelBackend);

// The user a session names, if it names one through an accepted backend: `_auth_user_id`
// parsed as Django's AutoField would, `_auth_user_backend` among `backends`.
std::optional<std::int64_t> session_user_id(const SessionData& data,
                                            const std::vector<std::string>& backends = {
                                                std::string(kModelBackend)});

// Whether the session's `_auth_user_hash` matches `password_hash` under SECRET_KEY or any
// fallback (constant time). A mismatch means: flush the session, the user is anonymous.
bool session_hash_matches(const SessionData& data, std::string_view password_hash,
                          const SessionKeys& keys, bool accept_legacy_sha1 = false);

}  // namespace laurel::auth
