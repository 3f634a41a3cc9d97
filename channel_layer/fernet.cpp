#include "channel_layer/fernet.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace laurel::channel_layer {
namespace {

constexpr unsigned char kVersion = 0x80;
constexpr std::size_t kHeader = 1 + 8 + 16;  // version, timestamp, IV
constexpr std::size_t kMac = 32;
constexpr std::uint64_t kMaxClockSkew = 60;  // Fernet refuses tokens stamped further ahead

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// base64url with '=' padding, as Python's urlsafe_b64encode writes Fernet tokens.
std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    if (rest == 2) v |= std::uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: the alphabet above, length a multiple of 4 with at most two '=' at the end.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && in.size() > pad && in[in.size() - 1 - pad] == '=') ++pad;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size() - pad; ++i) {
    int v = base64url_value(in[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::array<unsigned char, 32> hmac_sha256(const std::array<unsigned char, 16>& key,
                                          std::string_view data) {
  std::array<unsigned char, 32> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return mac;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// AES-128-CBC with PKCS7 padding; nullopt when the padding is wrong (decrypting).
std::optional<std::string> aes_cbc(const std::array<unsigned char, 16>& key, std::string_view iv,
                                   std::string_view in, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::bad_alloc();
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key.data(),
                        reinterpret_cast<const unsigned char*>(iv.data()), encrypt ? 1 : 0) != 1) {
    throw std::runtime_error("OpenSSL refused AES-128-CBC");
  }
  std::string out(in.size() + 16, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1) {
    return std::nullopt;
  }
  if (EVP_CipherFinal_ex(ctx.get(), o + n, &tail) != 1) return std::nullopt;
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

std::string_view as_view(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

Fernet::Fernet(std::string_view key) {
  if (key.size() != 32) throw std::invalid_argument("a Fernet key is 32 bytes");
  std::copy_n(key.begin(), 16, signing_.begin());
  std::copy_n(key.begin() + 16, 16, encryption_.begin());
}

Fernet Fernet::from_secret(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return Fernet(as_view(digest, sizeof digest));
}

std::string Fernet::encrypt(std::string_view plaintext, std::uint64_t now) const {
  unsigned char iv[16];
  if (RAND_bytes(iv, sizeof iv) != 1) throw std::runtime_error("OpenSSL could not make a random IV");
  return encrypt(plaintext, now, as_view(iv, sizeof iv));
}

std::string Fernet::encrypt(std::string_view plaintext, std::uint64_t now,
                            std::string_view iv) const {
  if (iv.size() != 16) throw std::invalid_argument("a Fernet IV is 16 bytes");
  std::string token;
  token += static_cast<char>(kVersion);
  for (int shift = 56; shift >= 0; shift -= 8) token += static_cast<char>((now >> shift) & 0xFF);
  token += iv;
  token += *aes_cbc(encryption_, iv, plaintext, true);
  auto mac = hmac_sha256(signing_, token);
  token += as_view(mac.data(), mac.size());
  return base64url_encode(token);
}

std::optional<std::string> Fernet::decrypt(std::string_view token, std::uint64_t now,
                                           std::uint64_t ttl_seconds) const {
  auto raw = base64url_decode(token);
  if (!raw || raw->size() < kHeader + 16 + kMac || static_cast<unsigned char>((*raw)[0]) != kVersion ||
      (raw->size() - kHeader - kMac) % 16 != 0) {
    throw FernetError("not a Fernet token");
  }
  std::uint64_t stamped = 0;
  for (int i = 1; i <= 8; ++i) stamped = (stamped << 8) | static_cast<unsigned char>((*raw)[i]);
  if (stamped + ttl_seconds < now) throw FernetError("the encrypted message has expired");
  if (now + kMaxClockSkew < stamped) {
    throw FernetError("the encrypted message is stamped in the future (clock skew over 60 s)");
  }
  std::string_view signed_part(raw->data(), raw->size() - kMac);
  auto mac = hmac_sha256(signing_, signed_part);
  if (CRYPTO_memcmp(mac.data(), raw->data() + signed_part.size(), kMac) != 0) return std::nullopt;
  auto plain = aes_cbc(encryption_, signed_part.substr(9, 16), signed_part.substr(kHeader), false);
  if (!plain) throw FernetError("the encrypted message has bad padding");
  return plain;
}

MultiFernet::MultiFernet(const std::vector<std::string>& secrets) {
  if (secrets.empty()) throw std::invalid_argument("symmetric encryption needs at least one key");
  for (const auto& s : secrets) keys_.push_back(Fernet::from_secret(s));
}

std::string MultiFernet::encrypt(std::string_view plaintext, std::uint64_t now) const {
  return keys_.front().encrypt(plaintext, now);
}

std::string MultiFernet::decrypt(std::string_view token, std::uint64_t now,
                                 std::uint64_t ttl_seconds) const {
  for (const auto& key : keys_) {
    if (auto plain = key.decrypt(token, now, ttl_seconds)) return std::move(*plain);
  }
  throw FernetError("no configured key opens the encrypted message");
}

std::vector<std::string> read_symmetric_keys_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the channel layer key file " + path);
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r\n");
    keys.push_back(line.substr(first, last - first + 1));
  }
  if (keys.empty()) throw std::runtime_error("the channel layer key file " + path + " holds no key");
  return keys;
}

}  // namespace laurel::channel_layer
