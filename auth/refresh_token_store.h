// auth/refresh_token_store.h
#pragma once

// Refresh tokens that can be revoked and whose theft shows: every refresh token laurel issues
// has a row in `laurel_refresh_token` (beside Django's tables; Django never reads it) holding a
// SHA-256 of the token, never the token, and the id of its family (the chain of rotations
// started by one login). A refresh uses its token up and issues the next one in the family;
// presenting a used token again means two parties hold it, so the whole family is revoked
// and both must log in again. Blocking: call it on the thread pool.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

struct sqlite3;

namespace laurel::auth {

// hex(SHA-256(token)): what the table stores.
std::string hash_refresh_token(std::string_view token);

class RefreshTokenStore {
 public:
  enum class Status {
    kOk,       // live and unused: now used up; issue the next token in `family`
    kUnknown,  // no such token (never issued here, or deleted)
    kReused,   // already used or revoked: the family is now revoked
    kExpired,  // past its expiry
  };
  struct Consumed {
    Status status = Status::kUnknown;
    std::int64_t user_id = 0;
    std::string family;
  };

  // Opens `path` (a SQLite file, typically the user database; ":memory:" for tests) and creates
  // the table if needed. Throws StoreError naming the path on failure.
  explicit RefreshTokenStore(const std::string& path);
  ~RefreshTokenStore();
  RefreshTokenStore(const RefreshTokenStore&) = delete;
  RefreshTokenStore& operator=(const RefreshTokenStore&) = delete;

  void add(std::string_view token, std::string_view family, std::int64_t user_id, double now,
           double expires_at);
  // Uses `token` up, atomically: of two concurrent refreshes with one token, one gets kOk and
  // the other kReused.
  Consumed consume(std::string_view token, double now);
  // Revokes every token of a family / of a user (logout, password change). Returns rows changed.
  std::size_t revoke_family(std::string_view family);
  std::size_t revoke_user(std::int64_t user_id);
  // The family a token belongs to ("" if unknown), without using it up.
  std::string family_of(std::string_view token);
  // Deletes rows that expired before `now`.
  std::size_t clear_expired(double now);

 private:
  void exec_locked(const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace laurel::auth
