// tests/auth/sqlite_user_store_test.cpp
#include "auth/sqlite_user_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "auth/model_backend.h"
#include "auth/password_hashers.h"
#include "auth/session_store.h"
#include "reference_vectors.h"

namespace laurel::auth {
namespace {

using testing::django_vectors;

// A fresh database file per test, removed afterwards (with its WAL side files).
class TempDb {
 public:
  TempDb() {
    static std::atomic<int> counter{0};
    path_ =
        (std::filesystem::temp_directory_path() / ("laurel-auth-" + std::to_string(::getpid()) +
                                                   "-" + std::to_string(counter++) + ".sqlite3"))
            .string();
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

SqliteUserStore::Options with_schema() {
  SqliteUserStore::Options o;
  o.create_schema = true;
  return o;
}

std::vector<std::pair<std::string, std::string>> schema_of(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name, sql FROM sqlite_master WHERE tbl_name IN "
                     "('auth_user','django_session','authtoken_token') AND sql IS NOT NULL "
                     "ORDER BY name",
                     -1, &st, nullptr);
  std::vector<std::pair<std::string, std::string>> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(SqliteUserStore, CreatesDjangosExactSchema) {
  TempDb db;
  { SqliteUserStore store(db.path(), with_schema()); }
  std::vector<std::pair<std::string, std::string>> expected;
  for (const auto& row : django_vectors().at("sqlite_schema")) {
    std::string table = row.at("table");
    if (table == "auth_user" || table == "django_session" || table == "authtoken_token") {
      expected.emplace_back(row.at("name").get<std::string>(), row.at("sql").get<std::string>());
    }
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(expected.size(), 4u);  // three tables and the expire_date index
  EXPECT_EQ(schema_of(db.path()), expected);
  // Opening again with create_schema is harmless.
  SqliteUserStore again(db.path(), with_schema());
  EXPECT_TRUE(again.has_token_table());
}

TEST(SqliteUserStore, ReadsTheUserRowDjangoWrote) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  const auto& row = django_vectors().at("sessions").at("user").at("auth_user_row");
  {
    sqlite3* raw = nullptr;
    sqlite3_open(db.path().c_str(), &raw);
    std::string sql =
        "INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, "
        "email, is_staff, is_active, date_joined, first_name) VALUES (1, '" +
        row.at("password").get<std::string>() +
        "', NULL, 0, 'alice', '', 'alice@example.com', 0, 1, '" +
        row.at("date_joined").get<std::string>() + "', '')";
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  auto user = store.find_by_username("alice");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, 1);
  EXPECT_EQ(user->password, row.at("password").get<std::string>());
  EXPECT_EQ(user->email, "alice@example.com");
  EXPECT_TRUE(user->is_active);
  EXPECT_FALSE(user->is_staff);
  EXPECT_FALSE(user->last_login);
  EXPECT_EQ(format_db_datetime(user->date_joined), row.at("date_joined").get<std::string>());
  EXPECT_TRUE(user->is_authenticated());
  EXPECT_FALSE(store.find_by_username("Alice"));  // exact match, as Django
  EXPECT_EQ(store.find_by_id(1)->username, "alice");
  EXPECT_FALSE(store.find_by_id(2));
}

TEST(SqliteUserStore, CreateUserRefusesATakenUsername) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  NewUser u;
  u.username = "bob";
  u.password_hash = make_pbkdf2_sha256("pw", "saltsaltsaltsaltsalt22", 1);
  u.email = "Bob@Example.COM";
  auto bob = store.create_user(u);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->email, "Bob@example.com");
  EXPECT_GT(bob->date_joined.time_since_epoch().count(), 0);
  EXPECT_THROW(store.create_user(u), UserExistsError);
  EXPECT_TRUE(store.update_last_login(bob->id, timestamp_from_unix(1700000000.25)));
  EXPECT_EQ(format_db_datetime(*store.find_by_id(bob->id)->last_login),
            "2023-11-14 22:13:20.250000");
  EXPECT_TRUE(store.set_password(bob->id, "!unusable"));
  EXPECT_EQ(store.find_by_id(bob->id)->password, "!unusable");
  EXPECT_FALSE(store.set_password(999, "x"));
}

TEST(SqliteUserStore, SessionsExpireByTheirColumn) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  auto t0 = timestamp_from_unix(1700000000);
  auto expire = t0 + std::chrono::seconds(kSessionCookieAgeSeconds);
  EXPECT_TRUE(store.create_session("abcdefgh12345678", "data-1", expire));
  EXPECT_FALSE(store.create_session("abcdefgh12345678", "data-2", expire));  // key taken
  auto loaded = store.load_session("abcdefgh12345678", t0);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->session_data, "data-1");
  EXPECT_EQ(loaded->expire_date, expire);
  EXPECT_FALSE(store.load_session("abcdefgh12345678", expire));  // expire_date > now, strictly
  store.save_session("abcdefgh12345678", "data-3", expire + std::chrono::hours(1));
  EXPECT_EQ(store.load_session("abcdefgh12345678", expire)->session_data, "data-3");
  store.save_session("zzzzzzzz00000000", "old", t0);
  EXPECT_EQ(store.clear_expired_sessions(t0 + std::chrono::seconds(1)), 1u);
  store.delete_session("abcdefgh12345678");
  EXPECT_FALSE(store.load_session("abcdefgh12345678", t0));
}

TEST(SqliteUserStore, TokenLookupNeedsTheTableAndAnExactKey) {
  TempDb db;
  SqliteUserStore::Options no_token = with_schema();
  no_token.with_authtoken = false;
  {
    SqliteUserStore store(db.path(), no_token);
    EXPECT_FALSE(store.has_token_table());
    EXPECT_FALSE(store.find_token_user("fdf792910541ad4a6f030102644c91d17d47b967"));
  }
  SqliteUserStore store(db.path(), with_schema());
  NewUser u;
  u.username = "carol";
  u.password_hash = "!x";
  auto carol = store.create_user(u);
  std::string key = store.create_token(carol->id);
  EXPECT_EQ(key.size(), 40u);
  EXPECT_EQ(store.find_token_user(key), carol->id);
  std::string other = key;
  other.back() = other.back() == '0' ? '1' : '0';
  EXPECT_FALSE(store.find_token_user(other));
}

TEST(ModelBackend, AuthenticatesUpgradesAndNeverSaysWhichPartWasWrong) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  PasswordPolicy policy;
  policy.pbkdf2_iterations = 2000;
  NewUser u;
  u.username = "dave";
  u.password_hash = make_pbkdf2_sha256("correct", "laurelSaltFixed0123456", 1000);
  auto dave = store.create_user(u);
  EXPECT_FALSE(authenticate(store, "dave", "wrong", policy));
  EXPECT_FALSE(authenticate(store, "nobody", "correct", policy));
  auto ok = authenticate(store, "dave", "correct", policy);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->id, dave->id);
  // 1000 < 2000 iterations: rehashed in Django's format on the successful login.
  std::string stored = store.find_by_id(dave->id)->password;
  EXPECT_EQ(stored.rfind("pbkdf2_sha256$2000$", 0), 0u);
  EXPECT_EQ(ok->password, stored);
  EXPECT_TRUE(check_password("correct", stored));
  store.set_password(dave->id, make_unusable_password());
  EXPECT_FALSE(authenticate(store, "dave", "correct", policy));
}

TEST(ModelBackend, InactiveUsersDoNotAuthenticate) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  NewUser u;
  u.username = "erin";
  u.password_hash = make_pbkdf2_sha256("pw", "laurelSaltFixed0123456", 1000);
  u.is_active = false;
  store.create_user(u);
  PasswordPolicy policy;
  policy.pbkdf2_iterations = 1000;
  EXPECT_FALSE(authenticate(store, "erin", "pw", policy));
}

TEST(SqliteUserStore, ConcurrentThreadsShareOneStore) {
  TempDb db;
  SqliteUserStore store(db.path(), with_schema());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          NewUser u;
          u.username = "user" + std::to_string(t) + "_" + std::to_string(i);
          u.password_hash = "!x";
          auto created = store.create_user(u);
          if (!store.find_by_id(created->id)) ++failures;
          store.save_session(new_session_key(), "d", timestamp_now() + std::chrono::hours(1));
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(store.find_by_username("user3_24"));
}

TEST(User, AnonymousUserIsNotAuthenticated) {
  auto anon = anonymous_user();
  EXPECT_FALSE(anon->is_authenticated());
  EXPECT_TRUE(anon->is_anonymous());
  EXPECT_FALSE(anon->is_active);
  EXPECT_EQ(anon->type_name(), "AnonymousUser");
  asgi::ObjectPtr as_object = std::const_pointer_cast<User>(anon);
  EXPECT_EQ(as_object->type_name(), "AnonymousUser");
}

TEST(DbDatetime, FormatsAndParsesLikeDjangosSqliteBackend) {
  auto t = parse_db_datetime("2026-12-18 19:52:41.401022");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_db_datetime(*t), "2026-12-18 19:52:41.401022");
  EXPECT_EQ(format_db_datetime(timestamp_from_unix(1700000000)), "2023-11-14 22:13:20");
  EXPECT_EQ(parse_db_datetime("2023-11-14 22:13:20"), timestamp_from_unix(1700000000));
  EXPECT_EQ(parse_db_datetime("2023-11-14T22:13:20+00:00"), timestamp_from_unix(1700000000));
  EXPECT_EQ(parse_db_datetime("2023-11-14 22:13:20.5"), timestamp_from_unix(1700000000.5));
  EXPECT_FALSE(parse_db_datetime("2023-02-30 00:00:00"));
  EXPECT_FALSE(parse_db_datetime("yesterday"));
  EXPECT_FALSE(parse_db_datetime("2023-11-14 22:13:20+02:00"));
}

}  // namespace
}  // namespace laurel::auth
