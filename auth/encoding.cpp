// auth/encoding.cpp
#include "auth/encoding.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace laurel::auth {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t n =
        (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t n = std::uint8_t(in[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t n = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

int digit(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

std::optional<std::string> decode(std::string_view in, bool url) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int d = digit(c, url);
    if (d < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStd, true); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, false); }
std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrl, false); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, true); }

std::string base62_encode(std::uint64_t value) {
  if (value == 0) return "0";
  std::string out;
  while (value > 0) {
    out.insert(out.begin(), kBase62[value % 62]);
    value /= 62;
  }
  return out;
}

std::optional<std::uint64_t> base62_decode(std::string_view text) {
  if (text.empty() || text.size() > 11) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'z') {
      d = c - 'a' + 36;
    } else {
      return std::nullopt;
    }
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(d)) / 62) return std::nullopt;
    value = value * 62 + static_cast<std::uint64_t>(d);
  }
  return value;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string form_decode(std::string_view text) {
  auto hex_digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Lengths of signatures and hashes are public (fixed by the algorithm); only content is secret.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("laurel auth: OpenSSL RAND_bytes failed (no entropy source?)");
  }
  return out;
}

std::string random_string(std::size_t length, std::string_view alphabet) {
  // Rejection sampling keeps every character equally likely whatever the alphabet size.
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    std::string pool = random_bytes(length * 2);
    for (unsigned char c : pool) {
      if (c >= limit) continue;
      out += alphabet[c % alphabet.size()];
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace laurel::auth
