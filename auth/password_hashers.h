// auth/password_hashers.h
#pragma once

// Django-compatible password hashes (the `auth_user.password` column): verify every format a
// Django project may hold (pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, scrypt, and the
// legacy ones when enabled), create new pbkdf2_sha256 hashes, and say when a hash should be
// upgraded after a successful login. Every function here is slow on purpose and blocking: call
// it on the thread pool (laurel::run_blocking), never on a loop thread.

#include <string>
#include <string_view>
#include <vector>

namespace laurel::auth {

// PBKDF2-SHA256 iteration counts Django writes for new hashes, by release. Old hashes keep
// their own count and always verify.
inline constexpr int kDjango32Pbkdf2Iterations = 260000;
inline constexpr int kDjango50Pbkdf2Iterations = 720000;
inline constexpr int kDjango51Pbkdf2Iterations = 870000;
inline constexpr int kDjango52Pbkdf2Iterations = 1000000;
// laurel targets Django 5.2 LTS for what it writes; Django 3.2+ verifies these unchanged.
inline constexpr int kDefaultPbkdf2Iterations = kDjango52Pbkdf2Iterations;

struct PasswordPolicy {
  // Iterations for new pbkdf2_sha256 hashes; stored hashes with fewer are upgraded on login.
  int pbkdf2_iterations = kDefaultPbkdf2Iterations;
  // Algorithms that may verify (Django's PASSWORD_HASHERS). The default is Django's own list;
  // "bcrypt", "sha1", "md5", "unsalted_sha1" and "unsalted_md5" must be enabled explicitly.
  std::vector<std::string> accepted = {"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256",
                                       "scrypt"};
  // Django rehashes any hash not made by the preferred (first) hasher on login; so does laurel
  // unless this is false (e.g. a project whose Django prefers argon2 and shares the table).
  bool rehash_other_algorithms = true;
};

// Django's check_password: true only if `encoded` is a usable hash, its algorithm is accepted,
// and recomputing it with the parameters stored in it yields the same string (constant time).
bool check_password(std::string_view password, std::string_view encoded,
                    const PasswordPolicy& policy = {});

// Whether a hash that just verified should be replaced by make_password(password): a weaker or
// different algorithm, fewer pbkdf2 iterations than the policy, or a salt under 128 bits.
// laurel only upgrades iteration counts (Django also lowers them), so a laurel and an older
// Django sharing a table do not rehash the same user back and forth.
bool must_update(std::string_view encoded, const PasswordPolicy& policy = {});

// A new pbkdf2_sha256 hash with a random 22-character salt (Django's format and salt length).
std::string make_password(std::string_view password, const PasswordPolicy& policy = {});
// Deterministic form for tests and migrations.
std::string make_pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations);

// "!" followed by 40 random characters: a password that never verifies (Django's
// set_unusable_password).
std::string make_unusable_password();
bool is_password_usable(std::string_view encoded);

// The algorithm name of a hash ("pbkdf2_sha256", "argon2", "unsalted_md5", ...), or "" if it
// matches none.
std::string identify_hasher(std::string_view encoded);

}  // namespace laurel::auth
