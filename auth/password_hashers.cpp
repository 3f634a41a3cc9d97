// auth/password_hashers.cpp
#include "auth/password_hashers.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>

#include "auth/encoding.h"

namespace laurel::auth {
namespace {

// Parameters come from the stored hash; these bounds only stop a corrupt or hostile row from
// turning one login into minutes of CPU or gigabytes of memory.
constexpr long kMaxPbkdf2Iterations = 100'000'000;
constexpr std::uint32_t kMaxArgon2MemoryKib = 4u * 1024 * 1024;
constexpr std::uint32_t kMaxArgon2TimeCost = 1000;
constexpr std::uint32_t kMaxArgon2Parallelism = 255;
constexpr std::uint64_t kMaxScryptMemory = 1ull << 30;

std::vector<std::string_view> split(std::string_view s, char sep, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto pos = s.find(sep);
    if (pos == std::string_view::npos) break;
    parts.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
  parts.push_back(s);
  return parts;
}

template <class T>
std::optional<T> parse_uint(std::string_view s) {
  T value{};
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

bool accepted(const PasswordPolicy& policy, std::string_view algorithm) {
  return std::find(policy.accepted.begin(), policy.accepted.end(), algorithm) !=
         policy.accepted.end();
}

std::string hex_digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    throw std::runtime_error("laurel auth: EVP_Digest failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<char*>(out), len));
}

std::string pbkdf2(const EVP_MD* md, std::string_view password, std::string_view salt,
                   int iterations, int length) {
  std::string out(static_cast<std::size_t>(length), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, md, length,
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("laurel auth: PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

// `<algorithm>$<iterations>$<salt>$<base64(dk)>`, recomputed from the stored parameters.
bool verify_pbkdf2(std::string_view password, std::string_view encoded, const EVP_MD* md,
                   int dk_len) {
  auto parts = split(encoded, '$', 4);
  if (parts.size() != 4) return false;
  auto iterations = parse_uint<long>(parts[1]);
  if (!iterations || *iterations < 1 || *iterations > kMaxPbkdf2Iterations) return false;
  std::string expected(parts[0]);
  expected += '$';
  expected += parts[1];
  expected += '$';
  expected += parts[2];
  expected += '$';
  expected += base64_encode(pbkdf2(md, password, parts[2], static_cast<int>(*iterations), dk_len));
  return constant_time_equals(expected, encoded);
}

// `argon2` + the PHC string (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`); libargon2 parses it
// and recomputes with its own parameters and hash length.
bool verify_argon2(std::string_view password, std::string_view encoded) {
  std::string phc(encoded.substr(std::string_view("argon2").size()));
  argon2_type type;
  if (phc.rfind("$argon2id$", 0) == 0) {
    type = Argon2_id;
  } else if (phc.rfind("$argon2i$", 0) == 0) {
    type = Argon2_i;
  } else if (phc.rfind("$argon2d$", 0) == 0) {
    type = Argon2_d;
  } else {
    return false;
  }
  // Bound the cost before libargon2 allocates m KiB and spawns p threads.
  auto m_pos = phc.find("$m=");
  if (m_pos == std::string::npos) return false;
  auto params = split(std::string_view(phc).substr(m_pos + 1), '$', 2)[0];
  for (auto kv : split(params, ',', 8)) {
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) return false;
    auto value = parse_uint<std::uint32_t>(kv.substr(eq + 1));
    if (!value) return false;
    std::string_view name = kv.substr(0, eq);
    if ((name == "m" && *value > kMaxArgon2MemoryKib) ||
        (name == "t" && *value > kMaxArgon2TimeCost) ||
        (name == "p" && *value > kMaxArgon2Parallelism)) {
      return false;
    }
  }
  return argon2_verify(phc.c_str(), password.data(), password.size(), type) == ARGON2_OK;
}

// bcrypt through libxcrypt's crypt_r, which implements $2a$/$2b$/$2y$ (Debian's libcrypt1).
std::optional<std::string> bcrypt(std::string_view password, const std::string& setting) {
  if (password.find('\0') != std::string_view::npos) return std::nullopt;  // C string API
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), setting.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return std::nullopt;
  return std::string(out);
}

bool is_bcrypt_setting(std::string_view s) {
  return s.size() == 60 &&
         (s.rfind("$2b$", 0) == 0 || s.rfind("$2a$", 0) == 0 || s.rfind("$2y$", 0) == 0);
}

bool verify_bcrypt(std::string_view password, std::string_view encoded, bool sha256_first) {
  auto parts = split(encoded, '$', 2);
  if (parts.size() != 2 || !is_bcrypt_setting(parts[1])) return false;
  // bcrypt_sha256 feeds bcrypt the 64 lowercase hex chars of SHA-256(password), which lifts
  // bcrypt's 72-byte limit.
  std::string input = sha256_first ? hex_digest(EVP_sha256(), password) : std::string(password);
  auto computed = bcrypt(input, std::string(parts[1]));
  return computed && constant_time_equals(*computed, parts[1]);
}

// Django >= 4.0: `scrypt$<N>$<salt>$<r>$<p>$<base64(64-byte key)>`.
bool verify_scrypt(std::string_view password, std::string_view encoded) {
  auto parts = split(encoded, '$', 6);
  if (parts.size() != 6) return false;
  auto n = parse_uint<std::uint64_t>(parts[1]);
  auto r = parse_uint<std::uint64_t>(parts[3]);
  auto p = parse_uint<std::uint64_t>(parts[4]);
  if (!n || !r || !p || *n < 2 || (*n & (*n - 1)) != 0 || *r == 0 || *p == 0 || *r > 64 ||
      *p > 64) {
    return false;
  }
  std::uint64_t memory = 128 * *r * *n + 128 * *r * *p;
  if (*n > kMaxScryptMemory || memory > kMaxScryptMemory) return false;
  unsigned char key[64];
  std::string_view salt = parts[2];
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), *n, *r, *p,
                     memory + (1u << 20), key, sizeof key) != 1) {
    return false;
  }
  std::string expected(encoded.substr(0, encoded.size() - parts[5].size()));
  expected += base64_encode(std::string_view(reinterpret_cast<char*>(key), sizeof key));
  return constant_time_equals(expected, encoded);
}

// `sha1$<salt>$<hex(sha1(salt + password))>`, likewise md5.
bool verify_salted_digest(std::string_view password, std::string_view encoded, const EVP_MD* md) {
  auto parts = split(encoded, '$', 3);
  if (parts.size() != 3) return false;
  std::string data(parts[1]);
  data += password;
  std::string expected(encoded.substr(0, encoded.size() - parts[2].size()));
  expected += hex_digest(md, data);
  return constant_time_equals(expected, encoded);
}

}  // namespace

std::string identify_hasher(std::string_view encoded) {
  if ((encoded.size() == 32 && encoded.find('$') == std::string_view::npos) ||
      (encoded.size() == 37 && encoded.rfind("md5$$", 0) == 0)) {
    return "unsalted_md5";
  }
  if (encoded.size() == 46 && encoded.rfind("sha1$$", 0) == 0) return "unsalted_sha1";
  auto pos = encoded.find('$');
  if (pos == std::string_view::npos) return "";
  std::string_view algorithm = encoded.substr(0, pos);
  static constexpr std::string_view kKnown[] = {
      "pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt", "sha1", "md5"};
  for (auto known : kKnown) {
    if (algorithm == known) return std::string(known);
  }
  return "";
}

bool is_password_usable(std::string_view encoded) {
  return encoded.empty() || encoded.front() != '!';
}

bool check_password(std::string_view password, std::string_view encoded,
                    const PasswordPolicy& policy) {
  if (encoded.empty() || !is_password_usable(encoded)) return false;
  std::string algorithm = identify_hasher(encoded);
  if (algorithm.empty() || !accepted(policy, algorithm)) return false;
  if (algorithm == "pbkdf2_sha256") return verify_pbkdf2(password, encoded, EVP_sha256(), 32);
  if (algorithm == "pbkdf2_sha1") return verify_pbkdf2(password, encoded, EVP_sha1(), 20);
  if (algorithm == "argon2") return verify_argon2(password, encoded);
  if (algorithm == "bcrypt_sha256") return verify_bcrypt(password, encoded, true);
  if (algorithm == "bcrypt") return verify_bcrypt(password, encoded, false);
  if (algorithm == "scrypt") return verify_scrypt(password, encoded);
  if (algorithm == "sha1") return verify_salted_digest(password, encoded, EVP_sha1());
  if (algorithm == "md5") return verify_salted_digest(password, encoded, EVP_md5());
  if (algorithm == "unsalted_md5") {
    std::string_view hex = encoded.size() == 37 ? encoded.substr(5) : encoded;
    return constant_time_equals(hex_digest(EVP_md5(), password), hex);
  }
  if (algorithm == "unsalted_sha1") {
    return constant_time_equals(hex_digest(EVP_sha1(), password), encoded.substr(6));
  }
  return false;
}

bool must_update(std::string_view encoded, const PasswordPolicy& policy) {
  if (!is_password_usable(encoded)) return false;
  std::string algorithm = identify_hasher(encoded);
  if (algorithm != "pbkdf2_sha256") {
    static constexpr std::string_view kWeak[] = {"pbkdf2_sha1",   "sha1",         "md5",
                                                 "unsalted_sha1", "unsalted_md5", "bcrypt"};
    bool weak = std::find(std::begin(kWeak), std::end(kWeak), algorithm) != std::end(kWeak);
    return weak || policy.rehash_other_algorithms;
  }
  auto parts = split(encoded, '$', 4);
  if (parts.size() != 4) return true;
  auto iterations = parse_uint<long>(parts[1]);
  if (!iterations || *iterations < policy.pbkdf2_iterations) return true;
  // Django's salt-entropy rule: len(salt) * log2(62) must reach 128 bits (22 characters).
  return static_cast<double>(parts[2].size()) * std::log2(62.0) < 128.0;
}

std::string make_pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations) {
  if (salt.find('$') != std::string_view::npos) {
    throw std::invalid_argument("make_pbkdf2_sha256: salt must not contain '$'");
  }
  std::string out = "pbkdf2_sha256$" + std::to_string(iterations) + "$";
  out += salt;
  out += '$';
  out += base64_encode(pbkdf2(EVP_sha256(), password, salt, iterations, 32));
  return out;
}

std::string make_password(std::string_view password, const PasswordPolicy& policy) {
  return make_pbkdf2_sha256(password, random_string(22, kAlphanumeric), policy.pbkdf2_iterations);
}

std::string make_unusable_password() { return "!" + random_string(40, kAlphanumeric); }

}  // namespace laurel::auth
