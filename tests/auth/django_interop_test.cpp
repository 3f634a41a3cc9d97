// tests/auth/django_interop_test.cpp
//
// The C++ half of tests/interop/django_auth_interop.py, which runs it against a db.sqlite3 made
// by Django's migrate. Skipped unless LAUREL_INTEROP_DB is set. The script passes what Django
// created (a user and its password, a session key); this test checks laurel accepts them, then
// creates its own user and session and writes them to LAUREL_INTEROP_OUT for Django to check.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "auth/db_datetime.h"
#include "auth/model_backend.h"
#include "auth/password_hashers.h"
#include "auth/session_store.h"
#include "auth/sqlite_user_store.h"

namespace laurel::auth {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class DjangoInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("LAUREL_INTEROP_DB").empty()) {
      GTEST_SKIP() << "run by tests/interop/django_auth_interop.py (LAUREL_INTEROP_DB unset)";
    }
    keys_.secret_key = env("LAUREL_INTEROP_SECRET");
    ASSERT_FALSE(keys_.secret_key.empty());
  }
  SessionKeys keys_;
};

TEST_F(DjangoInterop, LaurelAcceptsDjangosUserPasswordAndSession) {
  SqliteUserStore store(env("LAUREL_INTEROP_DB"));
  std::string username = env("LAUREL_INTEROP_USERNAME");
  std::string password = env("LAUREL_INTEROP_PASSWORD");
  auto user = store.find_by_username(username);
  ASSERT_TRUE(user) << username;
  EXPECT_TRUE(check_password(password, user->password)) << user->password;
  EXPECT_FALSE(check_password(password + "!", user->password));
  // Django 3.2's 260000 iterations are below laurel's target: a login would upgrade it.
  EXPECT_TRUE(must_update(user->password));

  auto stored = store.load_session(env("LAUREL_INTEROP_SESSION_KEY"), timestamp_now());
  ASSERT_TRUE(stored);
  auto data = decode_session(stored->session_data, keys_);
  ASSERT_TRUE(data) << stored->session_data;
  EXPECT_EQ(session_user_id(*data), user->id);
  EXPECT_TRUE(session_hash_matches(*data, user->password, keys_));
  EXPECT_EQ(data->value("laurel_probe", ""), "set by django");
}

TEST_F(DjangoInterop, LaurelCreatesAUserAndSessionForDjango) {
  SqliteUserStore store(env("LAUREL_INTEROP_DB"));
  std::string password = "laurel-made p\xc3\xa4ssword";
  NewUser new_user;
  new_user.username = "laurel_bob";
  new_user.email = "bob@Laurel.Example";
  new_user.first_name = "Bob";
  new_user.password_hash = make_password(password);  // Django 5.2's count, verified by 3.2
  auto bob = store.create_user(new_user);
  ASSERT_TRUE(bob);
  ASSERT_TRUE(store.update_last_login(bob->id, timestamp_now()));

  SessionData data = SessionData::object();
  set_session_user(data, bob->id, bob->password, keys_);
  data["laurel_probe"] = "set by laurel \xe2\x98\x83";
  std::string key = new_session_key();
  auto expire = timestamp_now() + std::chrono::seconds(kSessionCookieAgeSeconds);
  ASSERT_TRUE(store.create_session(key, encode_session(data, keys_), expire));

  Json out = {{"username", bob->username},
              {"password", password},
              {"user_id", bob->id},
              {"session_key", key}};
  std::ofstream file(env("LAUREL_INTEROP_OUT"));
  file << django_json_dumps(out);
  ASSERT_TRUE(file.good());
}

// A database laurel creates from nothing (create_schema), for Django's ORM to read.
TEST_F(DjangoInterop, LaurelCreatesADatabaseFromScratch) {
  std::string path = env("LAUREL_INTEROP_FRESH_DB");
  ASSERT_FALSE(path.empty());
  SqliteUserStore::Options options;
  options.create_schema = true;
  SqliteUserStore store(path, options);
  NewUser new_user;
  new_user.username = "laurel_carol";
  new_user.password_hash = make_password("carol's password");
  new_user.is_staff = true;
  auto carol = store.create_user(new_user);
  ASSERT_TRUE(carol);
  SessionData data = SessionData::object();
  set_session_user(data, carol->id, carol->password, keys_);
  ASSERT_TRUE(store.create_session("freshdbsession000000000000000001", encode_session(data, keys_),
                                   timestamp_now() + std::chrono::hours(1)));
  std::string token = store.create_token(carol->id);
  std::ofstream(path + ".token") << token;
}

}  // namespace
}  // namespace laurel::auth
