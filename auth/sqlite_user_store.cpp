// auth/sqlite_user_store.cpp
#include "auth/sqlite_user_store.h"

#include <sqlite3.h>

#include "auth/encoding.h"

namespace laurel::auth {
namespace {

// Django 3.2 / DRF 3.14 migrate output for SQLite, statement for statement (see
// tests/reference/django-auth.json "sqlite_schema"), so sqlite_master reads the same either way.
constexpr const char* kAuthUserDdl =
    R"(CREATE TABLE IF NOT EXISTS "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL))";
constexpr const char* kSessionDdl =
    R"(CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL))";
constexpr const char* kSessionIndexDdl =
    R"(CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date"))";
constexpr const char* kTokenDdl =
    R"(CREATE TABLE IF NOT EXISTS "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED))";

constexpr const char* kUserColumns =
    "SELECT id, password, last_login, is_superuser, username, first_name, last_name, email, "
    "is_staff, is_active, date_joined FROM auth_user WHERE ";

// One prepared statement, finalized on every path out.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("sqlite: ") + sqlite3_errmsg(db) + " in: " + sql);
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() { return stmt_; }
  void bind(int i, std::string_view text) {
    check(
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
  }
  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
  void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
  // SQLITE_ROW → true, SQLITE_DONE → false, anything else throws (constraint errors included:
  // callers that expect one catch and inspect extended_code()).
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    last_code_ = sqlite3_extended_errcode(db_);
    throw StoreError(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  int extended_code() const { return last_code_; }
  std::string text(int col) {
    auto p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  bool is_null(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw StoreError(std::string("sqlite bind: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int last_code_ = 0;
};

}  // namespace

SqliteUserStore::SqliteUserStore(const std::string& path) : SqliteUserStore(path, Options{}) {}

SqliteUserStore::SqliteUserStore(const std::string& path, Options options) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open user database '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  // No other thread can see the store yet: no lock needed until the constructor returns.
  try {
    if (options.wal && path != ":memory:" && !path.empty()) exec_locked("PRAGMA journal_mode=WAL");
    // Django's SQLite backend enforces foreign keys; so does laurel's connection.
    exec_locked("PRAGMA foreign_keys=ON");
    if (options.create_schema) create_schema(options.with_authtoken);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteUserStore::~SqliteUserStore() { sqlite3_close(db_); }

void SqliteUserStore::exec_locked(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite (" + path_ + "): " + msg + " in: " + sql);
  }
}

bool SqliteUserStore::table_exists_locked(const char* name) {
  Statement st(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, std::string_view(name));
  return st.step();
}

void SqliteUserStore::create_schema(bool with_authtoken) {
  std::lock_guard lock(mutex_);
  exec_locked("BEGIN IMMEDIATE");
  try {
    exec_locked(kAuthUserDdl);
    exec_locked(kSessionDdl);
    exec_locked(kSessionIndexDdl);
    if (with_authtoken) exec_locked(kTokenDdl);
    exec_locked("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  token_table_.reset();
}

UserPtr SqliteUserStore::find_user_locked(const char* where_sql,
                                          const std::function<void(sqlite3_stmt*)>& bind) {
  std::string sql = std::string(kUserColumns) + where_sql;
  Statement st(db_, sql.c_str());
  bind(st.get());
  if (!st.step()) return nullptr;
  auto user = std::make_shared<User>();
  user->id = st.integer(0);
  user->password = st.text(1);
  if (!st.is_null(2)) user->last_login = parse_db_datetime(st.text(2));
  user->is_superuser = st.integer(3) != 0;
  user->username = st.text(4);
  user->first_name = st.text(5);
  user->last_name = st.text(6);
  user->email = st.text(7);
  user->is_staff = st.integer(8) != 0;
  user->is_active = st.integer(9) != 0;
  user->date_joined = parse_db_datetime(st.text(10)).value_or(Timestamp{});
  return user;
}

UserPtr SqliteUserStore::find_by_username(std::string_view username) {
  std::lock_guard lock(mutex_);
  return find_user_locked("username = ?", [&](sqlite3_stmt* st) {
    sqlite3_bind_text(st, 1, username.data(), static_cast<int>(username.size()), SQLITE_TRANSIENT);
  });
}

UserPtr SqliteUserStore::find_by_id(std::int64_t id) {
  std::lock_guard lock(mutex_);
  return find_user_locked("id = ?", [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, id); });
}

UserPtr SqliteUserStore::create_user(const NewUser& user) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, "
               "email, is_staff, is_active, date_joined, first_name) "
               "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, user.password_hash);
  st.bind(2, std::int64_t{user.is_superuser});
  st.bind(3, user.username);
  st.bind(4, user.last_name);
  st.bind(5, normalize_email(user.email));
  st.bind(6, std::int64_t{user.is_staff});
  st.bind(7, std::int64_t{user.is_active});
  st.bind(8, format_db_datetime(timestamp_now()));
  st.bind(9, user.first_name);
  try {
    st.step();
  } catch (const StoreError&) {
    if (st.extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
      throw UserExistsError("a user with that username already exists");
    }
    throw;
  }
  std::int64_t id = sqlite3_last_insert_rowid(db_);
  return find_user_locked("id = ?", [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, id); });
}

bool SqliteUserStore::set_password(std::int64_t id, std::string_view password_hash) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "UPDATE auth_user SET password = ? WHERE id = ?");
  st.bind(1, password_hash);
  st.bind(2, id);
  st.step();
  return sqlite3_changes(db_) > 0;
}

bool SqliteUserStore::update_last_login(std::int64_t id, Timestamp when) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "UPDATE auth_user SET last_login = ? WHERE id = ?");
  st.bind(1, format_db_datetime(when));
  st.bind(2, id);
  st.step();
  return sqlite3_changes(db_) > 0;
}

std::optional<StoredSession> SqliteUserStore::load_session(std::string_view session_key,
                                                           Timestamp now) {
  std::lock_guard lock(mutex_);
  // The same comparison Django's ORM sends: text order of UTC datetimes.
  Statement st(db_,
               "SELECT session_key, session_data, expire_date FROM django_session "
               "WHERE session_key = ? AND expire_date > ?");
  st.bind(1, session_key);
  st.bind(2, format_db_datetime(now));
  if (!st.step()) return std::nullopt;
  StoredSession out;
  out.session_key = st.text(0);
  out.session_data = st.text(1);
  out.expire_date = parse_db_datetime(st.text(2)).value_or(Timestamp{});
  return out;
}

bool SqliteUserStore::create_session(std::string_view session_key, std::string_view session_data,
                                     Timestamp expire_date) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "INSERT INTO django_session (session_key, session_data, expire_date) "
               "VALUES (?, ?, ?)");
  st.bind(1, session_key);
  st.bind(2, session_data);
  st.bind(3, format_db_datetime(expire_date));
  try {
    st.step();
  } catch (const StoreError&) {
    if (st.extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY ||
        st.extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
      return false;
    }
    throw;
  }
  return true;
}

void SqliteUserStore::save_session(std::string_view session_key, std::string_view session_data,
                                   Timestamp expire_date) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "INSERT INTO django_session (session_key, session_data, expire_date) "
               "VALUES (?, ?, ?) ON CONFLICT(session_key) DO UPDATE SET "
               "session_data = excluded.session_data, expire_date = excluded.expire_date");
  st.bind(1, session_key);
  st.bind(2, session_data);
  st.bind(3, format_db_datetime(expire_date));
  st.step();
}

void SqliteUserStore::delete_session(std::string_view session_key) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "DELETE FROM django_session WHERE session_key = ?");
  st.bind(1, session_key);
  st.step();
}

std::size_t SqliteUserStore::clear_expired_sessions(Timestamp now) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "DELETE FROM django_session WHERE expire_date < ?");
  st.bind(1, format_db_datetime(now));
  st.step();
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

bool SqliteUserStore::has_token_table() {
  std::lock_guard lock(mutex_);
  if (!token_table_) token_table_ = table_exists_locked("authtoken_token");
  return *token_table_;
}

std::optional<std::int64_t> SqliteUserStore::find_token_user(std::string_view key) {
  if (!has_token_table()) return std::nullopt;
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT user_id FROM authtoken_token WHERE key = ?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.integer(0);
}

std::string SqliteUserStore::create_token(std::int64_t user_id) {
  std::string key = hex_encode(random_bytes(20));  // DRF: hexlify(os.urandom(20))
  std::lock_guard lock(mutex_);
  Statement st(db_, "INSERT INTO authtoken_token (key, created, user_id) VALUES (?, ?, ?)");
  st.bind(1, key);
  st.bind(2, format_db_datetime(timestamp_now()));
  st.bind(3, user_id);
  st.step();
  return key;
}

}  // namespace laurel::auth
