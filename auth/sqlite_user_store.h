// auth/sqlite_user_store.h
#pragma once

// UserStore on a SQLite file with Django's own schema, so a Django project's db.sqlite3 works
// as is and Django reads the users and sessions laurel writes. Blocking; safe to call from
// several thread-pool threads at once (one connection behind a mutex, WAL journal so Django
// processes can read while laurel writes).

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/user_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace laurel::auth {

class SqliteUserStore final : public UserStore {
 public:
  struct Options {
    bool create_schema = false;  // create Django's tables if missing (laurel-only databases)
    bool with_authtoken = true;  // include DRF's authtoken_token in create_schema
    bool wal = true;             // PRAGMA journal_mode=WAL (ignored for :memory:)
    int busy_timeout_ms = 5000;  // wait this long for a Django process's write lock
  };

  // Opens (creating the file if needed); throws StoreError naming the path on failure.
  explicit SqliteUserStore(const std::string& path);
  SqliteUserStore(const std::string& path, Options options);
  ~SqliteUserStore() override;
  SqliteUserStore(const SqliteUserStore&) = delete;
  SqliteUserStore& operator=(const SqliteUserStore&) = delete;

  // Creates `auth_user`, `django_session` (+ its expire_date index) and optionally
  // `authtoken_token` with the exact DDL Django 3.2's migrate emits, if they do not exist.
  // It does not fill `django_migrations`: a database Django will `migrate` later should be
  // created by Django first.
  void create_schema(bool with_authtoken = true);

  UserPtr find_by_username(std::string_view username) override;
  UserPtr find_by_id(std::int64_t id) override;
  UserPtr create_user(const NewUser& user) override;
  bool set_password(std::int64_t id, std::string_view password_hash) override;
  bool update_last_login(std::int64_t id, Timestamp when) override;

  std::optional<StoredSession> load_session(std::string_view session_key, Timestamp now) override;
  bool create_session(std::string_view session_key, std::string_view session_data,
                      Timestamp expire_date) override;
  void save_session(std::string_view session_key, std::string_view session_data,
                    Timestamp expire_date) override;
  void delete_session(std::string_view session_key) override;
  std::size_t clear_expired_sessions(Timestamp now) override;

  std::optional<std::int64_t> find_token_user(std::string_view key) override;
  bool has_token_table() override;
  // Inserts a DRF token (40 lowercase hex chars) for `user_id` and returns its key.
  std::string create_token(std::int64_t user_id);

 private:
  UserPtr find_user_locked(const char* where_sql, const std::function<void(sqlite3_stmt*)>& bind);
  void exec_locked(const char* sql);
  bool table_exists_locked(const char* name);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::optional<bool> token_table_;
};

}  // namespace laurel::auth
