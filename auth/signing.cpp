// auth/signing.cpp
#include "auth/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <chrono>
#include <stdexcept>

#include "auth/encoding.h"

namespace laurel::auth {
namespace {

const EVP_MD* md_for(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256();
}

std::string digest(HashAlgorithm algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md_for(algorithm), nullptr) != 1) {
    throw std::runtime_error("laurel auth: EVP_Digest failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

// Signed payloads are small (a session is a few hundred bytes); anything inflating past this
// is refused rather than allocated.
constexpr std::size_t kMaxInflatedBytes = 16 * 1024 * 1024;

std::optional<std::string> inflate_bounded(std::string_view in) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > kMaxInflatedBytes) {
      rc = Z_MEM_ERROR;
      break;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_DATA_ERROR;  // input ended before the stream did
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string deflate_default(std::string_view in) {
  // Python's zlib.compress(data): a zlib stream at Z_DEFAULT_COMPRESSION, one shot.
  uLongf len = compressBound(static_cast<uLong>(in.size()));
  std::string out(len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &len,
                reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw std::runtime_error("laurel auth: zlib compress2 failed");
  }
  out.resize(len);
  return out;
}

void set(SignatureError* error, SignatureError value) {
  if (error) *error = value;
}

}  // namespace

std::string salted_hmac(std::string_view key_salt, std::string_view value, std::string_view secret,
                        HashAlgorithm algorithm) {
  std::string material;
  material.reserve(key_salt.size() + secret.size());
  material.append(key_salt).append(secret);
  std::string key = digest(algorithm, material);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md_for(algorithm), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(value.data()), value.size(), out, &len)) {
    throw std::runtime_error("laurel auth: HMAC failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// --- Signer ---------------------------------------------------------------------------------

Signer::Signer(std::string key) : Signer(std::move(key), Options{}) {}

Signer::Signer(std::string key, Options options)
    : key_(std::move(key)), options_(std::move(options)) {
  // Django refuses separators from the URL-safe base64 alphabet: they would make rsplit ambiguous.
  char s = options_.sep;
  if ((s >= 'A' && s <= 'Z') || (s >= 'a' && s <= 'z') || (s >= '0' && s <= '9') || s == '-' ||
      s == '_' || s == '=') {
    throw std::invalid_argument("Signer: unsafe separator (must not be in the base64 alphabet)");
  }
}

std::string Signer::signature_with(std::string_view key, std::string_view value,
                                   HashAlgorithm algorithm) const {
  return base64url_encode(salted_hmac(options_.salt + "signer", value, key, algorithm));
}

std::string Signer::signature(std::string_view value) const {
  return signature_with(key_, value, options_.algorithm);
}

std::string Signer::sign(std::string_view value) const {
  std::string out(value);
  out += options_.sep;
  out += signature(value);
  return out;
}

std::optional<std::string> Signer::unsign(std::string_view signed_value,
                                          SignatureError* error) const {
  auto pos = signed_value.rfind(options_.sep);
  if (pos == std::string_view::npos) {
    set(error, SignatureError::kMalformed);
    return std::nullopt;
  }
  std::string_view value = signed_value.substr(0, pos);
  std::string_view sig = signed_value.substr(pos + 1);
  auto matches = [&](std::string_view key) {
    if (constant_time_equals(sig, signature_with(key, value, options_.algorithm))) return true;
    return options_.accept_legacy_sha1 &&
           constant_time_equals(sig, signature_with(key, value, HashAlgorithm::kSha1));
  };
  bool ok = matches(key_);
  for (const auto& fallback : options_.fallback_keys) {
    if (ok) break;
    ok = matches(fallback);
  }
  if (!ok) {
    set(error, SignatureError::kBadSignature);
    return std::nullopt;
  }
  set(error, SignatureError::kNone);
  return std::string(value);
}

// --- TimestampSigner ------------------------------------------------------------------------

namespace {
Signer::Options timestamp_defaults(Signer::Options options) {
  if (options.salt == Signer::Options{}.salt) options.salt = "django.core.signing.TimestampSigner";
  return options;
}
}  // namespace

TimestampSigner::TimestampSigner(std::string key)
    : TimestampSigner(std::move(key), Signer::Options{}) {}

TimestampSigner::TimestampSigner(std::string key, Signer::Options options)
    : signer_(std::move(key), timestamp_defaults(std::move(options))) {}

std::string TimestampSigner::sign(std::string_view value, double now) const {
  std::string with_time(value);
  with_time += signer_.options().sep;
  with_time += base62_encode(static_cast<std::uint64_t>(now < 0 ? 0 : now));
  return signer_.sign(with_time);
}

std::optional<std::string> TimestampSigner::unsign(std::string_view signed_value,
                                                   std::optional<double> max_age, double now,
                                                   SignatureError* error) const {
  auto result = signer_.unsign(signed_value, error);
  if (!result) return std::nullopt;
  auto pos = result->rfind(signer_.options().sep);
  if (pos == std::string::npos) {
    set(error, SignatureError::kMalformed);
    return std::nullopt;
  }
  auto timestamp = base62_decode(std::string_view(*result).substr(pos + 1));
  if (!timestamp) {
    set(error, SignatureError::kMalformed);
    return std::nullopt;
  }
  if (max_age && now - static_cast<double>(*timestamp) > *max_age) {
    set(error, SignatureError::kExpired);
    return std::nullopt;
  }
  result->resize(pos);
  set(error, SignatureError::kNone);
  return result;
}

std::optional<std::uint64_t> TimestampSigner::timestamp_of(std::string_view signed_value,
                                                           char sep) {
  auto last = signed_value.rfind(sep);
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  auto prev = signed_value.rfind(sep, last - 1);
  if (prev == std::string_view::npos) return std::nullopt;
  return base62_decode(signed_value.substr(prev + 1, last - prev - 1));
}

// --- dumps / loads --------------------------------------------------------------------------

std::string dumps(const Json& value, std::string_view key, const DumpsOptions& options,
                  double now) {
  std::string data = django_json_dumps(value);
  std::string payload;
  if (options.compress) {
    std::string compressed = deflate_default(data);
    if (compressed.size() + 1 < data.size()) {
      payload = "." + base64url_encode(compressed);
    }
  }
  if (payload.empty()) payload = base64url_encode(data);
  Signer::Options signer_options;
  signer_options.salt = options.salt;
  return TimestampSigner(std::string(key), signer_options).sign(payload, now);
}

std::string dumps(const Json& value, std::string_view key, const DumpsOptions& options) {
  return dumps(value, key, options, unix_now());
}

std::optional<Json> loads(std::string_view signed_value, std::string_view key,
                          const DumpsOptions& options, std::optional<double> max_age, double now,
                          SignatureError* error) {
  Signer::Options signer_options;
  signer_options.salt = options.salt;
  signer_options.fallback_keys = options.fallback_keys;
  signer_options.accept_legacy_sha1 = options.accept_legacy_sha1;
  auto payload =
      TimestampSigner(std::string(key), signer_options).unsign(signed_value, max_age, now, error);
  if (!payload) return std::nullopt;
  std::string_view encoded = *payload;
  bool compressed = !encoded.empty() && encoded.front() == '.';
  if (compressed) encoded.remove_prefix(1);
  auto data = base64url_decode(encoded);
  if (data && compressed) data = inflate_bounded(*data);
  if (!data) {
    set(error, SignatureError::kBadPayload);
    return std::nullopt;
  }
  Json parsed = django_json_loads(*data);
  if (parsed.is_discarded()) {
    set(error, SignatureError::kBadPayload);
    return std::nullopt;
  }
  return parsed;
}

std::optional<Json> loads(std::string_view signed_value, std::string_view key,
                          const DumpsOptions& options, std::optional<double> max_age,
                          SignatureError* error) {
  return loads(signed_value, key, options, max_age, unix_now(), error);
}

}  // namespace laurel::auth
