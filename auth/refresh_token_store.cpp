// auth/refresh_token_store.cpp
#include "auth/refresh_token_store.h"

#include <openssl/sha.h>
#include <sqlite3.h>

#include <functional>

#include "auth/encoding.h"
#include "auth/user_store.h"

namespace laurel::auth {
namespace {

// Owns one prepared statement for the duration of a call.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("laurel_refresh_token: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& real(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(std::string("laurel_refresh_token: ") + sqlite3_errmsg(db_));
  }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::string hash_refresh_token(std::string_view token) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

RefreshTokenStore::RefreshTokenStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open the refresh token database " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  std::lock_guard lock(mutex_);
  exec_locked(
      "CREATE TABLE IF NOT EXISTS \"laurel_refresh_token\" ("
      "\"token_hash\" varchar(64) NOT NULL PRIMARY KEY, \"family\" varchar(64) NOT NULL, "
      "\"user_id\" integer NOT NULL, \"created_at\" real NOT NULL, \"expires_at\" real NOT NULL, "
      "\"used_at\" real NULL, \"revoked\" bool NOT NULL DEFAULT 0)");
  exec_locked(
      "CREATE INDEX IF NOT EXISTS \"laurel_refresh_token_family\" ON \"laurel_refresh_token\" "
      "(\"family\")");
  exec_locked(
      "CREATE INDEX IF NOT EXISTS \"laurel_refresh_token_user\" ON \"laurel_refresh_token\" "
      "(\"user_id\")");
}

RefreshTokenStore::~RefreshTokenStore() { sqlite3_close(db_); }

void RefreshTokenStore::exec_locked(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError("laurel_refresh_token: " + message);
  }
}

void RefreshTokenStore::add(std::string_view token, std::string_view family,
                            std::int64_t user_id, double now, double expires_at) {
  std::lock_guard lock(mutex_);
  Statement insert(db_,
                   "INSERT INTO laurel_refresh_token (token_hash, family, user_id, created_at, "
                   "expires_at) VALUES (?, ?, ?, ?, ?)");
  insert.text(1, hash_refresh_token(token)).text(2, family).integer(3, user_id).real(4, now).real(
      5, expires_at);
  insert.step();
}

RefreshTokenStore::Consumed RefreshTokenStore::consume(std::string_view token, double now) {
  std::string hash = hash_refresh_token(token);
  std::lock_guard lock(mutex_);  // one connection, one consumer at a time: no double spend
  Consumed out;
  bool used = false;
  double expires_at = 0;
  {
    Statement select(db_,
                     "SELECT family, user_id, expires_at, used_at IS NOT NULL OR revoked "
                     "FROM laurel_refresh_token WHERE token_hash = ?");
    select.text(1, hash);
    if (!select.step()) return out;  // kUnknown
    out.family = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
    out.user_id = sqlite3_column_int64(select.get(), 1);
    expires_at = sqlite3_column_double(select.get(), 2);
    used = sqlite3_column_int(select.get(), 3) != 0;
  }
  if (used) {
    Statement revoke(db_, "UPDATE laurel_refresh_token SET revoked = 1 WHERE family = ?");
    revoke.text(1, out.family);
    revoke.step();
    out.status = Status::kReused;
    return out;
  }
  if (now >= expires_at) {
    out.status = Status::kExpired;
    return out;
  }
  Statement mark(db_, "UPDATE laurel_refresh_token SET used_at = ? WHERE token_hash = ?");
  mark.real(1, now).text(2, hash);
  mark.step();
  out.status = Status::kOk;
  return out;
}

std::size_t RefreshTokenStore::revoke_family(std::string_view family) {
  std::lock_guard lock(mutex_);
  Statement revoke(db_,
                   "UPDATE laurel_refresh_token SET revoked = 1 WHERE family = ? AND revoked = 0");
  revoke.text(1, family);
  revoke.step();
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t RefreshTokenStore::revoke_user(std::int64_t user_id) {
  std::lock_guard lock(mutex_);
  Statement revoke(db_,
                   "UPDATE laurel_refresh_token SET revoked = 1 WHERE user_id = ? AND revoked = 0");
  revoke.integer(1, user_id);
  revoke.step();
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::string RefreshTokenStore::family_of(std::string_view token) {
  std::lock_guard lock(mutex_);
  Statement select(db_, "SELECT family FROM laurel_refresh_token WHERE token_hash = ?");
  select.text(1, hash_refresh_token(token));
  if (!select.step()) return {};
  return reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
}

std::size_t RefreshTokenStore::clear_expired(double now) {
  std::lock_guard lock(mutex_);
  Statement remove(db_, "DELETE FROM laurel_refresh_token WHERE expires_at < ?");
  remove.real(1, now);
  remove.step();
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

}  // namespace laurel::auth
