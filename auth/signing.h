// auth/signing.h
#pragma once

// Django's django.core.signing, byte for byte: salted_hmac, Signer (`value:signature`),
// TimestampSigner (`value:base62-time:signature`) and dumps/loads (URL-safe base64 of compact
// JSON, optionally zlib-compressed behind a `.`). Session data and signed cookies written by
// Django verify here, and what laurel signs verifies in Django. Clocks are parameters so
// expiry is testable without waiting.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/django_json.h"

namespace laurel::auth {

enum class HashAlgorithm {
  kSha256,  // Django's default since 3.1 (and the only one from 4.0)
  kSha1,    // Django 3.1/3.2 DEFAULT_HASHING_ALGORITHM="sha1" transition and legacy hashes
};

// HMAC-H(H(key_salt + secret), value), raw digest — Django's salted_hmac.
std::string salted_hmac(std::string_view key_salt, std::string_view value, std::string_view secret,
                        HashAlgorithm algorithm = HashAlgorithm::kSha256);

// Why an unsign failed. Callers treat every failure as "no data"; the distinction is for logs
// and for signed cookies that expire.
enum class SignatureError {
  kNone,          // verified
  kMalformed,     // no separator, or a timestamp that is not base62
  kBadSignature,  // the signature does not match under any accepted key
  kExpired,       // the signature matches but is older than max_age
  kBadPayload,    // signed correctly, but the payload is not base64 / zlib / JSON
};

// Wall-clock seconds since the epoch, as Python's time.time().
double unix_now();

class Signer {
 public:
  struct Options {
    std::string salt = "django.core.signing.Signer";  // Django's "<module>.<class>" default
    char sep = ':';
    HashAlgorithm algorithm = HashAlgorithm::kSha256;
    // SECRET_KEY_FALLBACKS (Django >= 4.1): unsign also tries these; sign never uses them.
    std::vector<std::string> fallback_keys;
    // Django 3.2 also accepted a legacy sha1 signature on unsign; off unless a site needs it.
    bool accept_legacy_sha1 = false;
  };

  explicit Signer(std::string key);
  Signer(std::string key, Options options);

  std::string signature(std::string_view value) const;  // b64url(salted_hmac(salt+"signer"))
  std::string sign(std::string_view value) const;       // value + sep + signature

  // The value before the last separator if the signature verifies (constant-time compare).
  std::optional<std::string> unsign(std::string_view signed_value,
                                    SignatureError* error = nullptr) const;

  const Options& options() const { return options_; }

 private:
  std::string signature_with(std::string_view key, std::string_view value,
                             HashAlgorithm algorithm) const;

  std::string key_;
  Options options_;
};

class TimestampSigner {
 public:
  explicit TimestampSigner(std::string key);
  TimestampSigner(std::string key, Signer::Options options);  // default salt: ...TimestampSigner

  // `value:base62(int(now)):signature`.
  std::string sign(std::string_view value, double now) const;
  std::string sign(std::string_view value) const { return sign(value, unix_now()); }

  // Verifies, strips the timestamp, and with max_age refuses `now - timestamp > max_age`.
  std::optional<std::string> unsign(std::string_view signed_value, std::optional<double> max_age,
                                    double now, SignatureError* error = nullptr) const;
  std::optional<std::string> unsign(std::string_view signed_value,
                                    std::optional<double> max_age = std::nullopt,
                                    SignatureError* error = nullptr) const {
    return unsign(signed_value, max_age, unix_now(), error);
  }

  // The signing time encoded in a signed value (without verifying it).
  static std::optional<std::uint64_t> timestamp_of(std::string_view signed_value, char sep = ':');

 private:
  Signer signer_;
};

struct DumpsOptions {
  std::string salt = "django.core.signing";
  bool compress = false;  // zlib, kept only when it saves more than one byte (as Django)
  std::vector<std::string> fallback_keys;  // for loads
  bool accept_legacy_sha1 = false;         // for loads
};

// signing.dumps: TimestampSigner(key, salt).sign(b64url(json)) — or "." + b64url(zlib(json)).
std::string dumps(const Json& value, std::string_view key, const DumpsOptions& options, double now);
std::string dumps(const Json& value, std::string_view key, const DumpsOptions& options = {});

// signing.loads: nullopt (with the reason in `error`) on any failure.
std::optional<Json> loads(std::string_view signed_value, std::string_view key,
                          const DumpsOptions& options, std::optional<double> max_age, double now,
                          SignatureError* error = nullptr);
std::optional<Json> loads(std::string_view signed_value, std::string_view key,
                          const DumpsOptions& options = {},
                          std::optional<double> max_age = std::nullopt,
                          SignatureError* error = nullptr);

}  // namespace laurel::auth
