// auth/encoding.h
#pragma once

// The small text encodings Django's auth formats are built from: standard base64 with padding
// (password hashes), URL-safe base64 without padding (signing, JWT), base62 (signing
// timestamps), lowercase hex (auth hashes), form encoding (login bodies, query strings), and
// the constant-time comparison every secret check
// goes through.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace laurel::auth {

// Standard alphabet (`+/`), `=` padding: what Django's pbkdf2 and scrypt hashers write.
std::string base64_encode(std::string_view bytes);
// Accepts padded or unpadded standard base64; nullopt on any other character or bad length.
std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet (`-_`) with the padding stripped: django.core.signing and JWS.
std::string base64url_encode(std::string_view bytes);
// Re-pads as Django's b64_decode does; nullopt on a character outside the URL-safe alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

// Base62 with alphabet 0-9A-Za-z, most significant digit first (Django's baseconv.base62).
std::string base62_encode(std::uint64_t value);
// nullopt on an empty string, a character outside the alphabet or overflow.
std::optional<std::uint64_t> base62_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);  // lowercase

// application/x-www-form-urlencoded (a form body, a query string): '+' is a space and %XX a
// byte; a malformed escape is kept as it is, as Python's unquote_plus does.
std::string form_decode(std::string_view text);

// Compares two secrets in time that depends only on their lengths (CRYPTO_memcmp), so a
// mismatch position never leaks. Different lengths compare unequal.
bool constant_time_equals(std::string_view a, std::string_view b);

// `n` bytes from OpenSSL's CSPRNG; throws std::runtime_error if the generator fails.
std::string random_bytes(std::size_t n);
// `length` characters drawn uniformly (rejection sampling) from `alphabet` with random_bytes:
// Django's get_random_string.
std::string random_string(std::size_t length, std::string_view alphabet);

inline constexpr std::string_view kAlphanumeric =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

}  // namespace laurel::auth
