// channel_layer/fernet.h
#pragma once

// Fernet tokens (AES-128-CBC + HMAC-SHA256, base64url text), the encryption channels_redis applies
// to stored messages when `symmetric_encryption_keys` is set: each secret becomes a key by
// SHA-256, messages are encrypted with the first key and decrypted with whichever key fits, so
// keys can be rotated by putting the new one first and keeping the old one until it drains.

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace laurel::channel_layer {

// A token that no configured key opens: bad signature, malformed, expired or from the future.
class FernetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Fernet {
 public:
  // `key`: 32 bytes, the first 16 sign (HMAC-SHA256), the last 16 encrypt (AES-128-CBC).
  // Throws std::invalid_argument for another size.
  explicit Fernet(std::string_view key);
  // channels_redis's derivation from a configured secret: SHA-256 of its UTF-8 bytes.
  static Fernet from_secret(std::string_view secret);

  // The token (ASCII) for `plaintext`, stamped `now` (Unix seconds), with a fresh random IV.
  std::string encrypt(std::string_view plaintext, std::uint64_t now) const;
  // The same with a given 16-byte IV (test vectors).
  std::string encrypt(std::string_view plaintext, std::uint64_t now, std::string_view iv) const;
  // The plaintext, or nullopt when the token is not signed by this key. Throws FernetError for
  // a token older than `ttl_seconds` or stamped more than 60 s after `now` (Fernet's rules),
  // and for one that is not a Fernet token at all.
  std::optional<std::string> decrypt(std::string_view token, std::uint64_t now,
                                     std::uint64_t ttl_seconds) const;

 private:
  std::array<unsigned char, 16> signing_{};
  std::array<unsigned char, 16> encryption_{};
};

// Several keys: encrypt with the first, decrypt with any (cryptography's MultiFernet).
class MultiFernet {
 public:
  // Each secret derived as Fernet::from_secret. Throws std::invalid_argument when empty.
  explicit MultiFernet(const std::vector<std::string>& secrets);
  std::string encrypt(std::string_view plaintext, std::uint64_t now) const;
  // Throws FernetError when no key opens the token or it is outside its lifetime.
  std::string decrypt(std::string_view token, std::uint64_t now, std::uint64_t ttl_seconds) const;

 private:
  std::vector<Fernet> keys_;
};

// Secrets from a key file: one per line, the first encrypts; blank lines and lines starting with
// '#' are skipped, surrounding whitespace is trimmed. Throws std::runtime_error when the file
// cannot be read or holds no secret.
std::vector<std::string> read_symmetric_keys_file(const std::string& path);

}  // namespace laurel::channel_layer
