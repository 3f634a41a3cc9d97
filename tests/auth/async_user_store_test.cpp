// tests/auth/async_user_store_test.cpp
#include "auth/async_user_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "auth/session_store.h"
#include "auth/sqlite_user_store.h"
#include "testing/run_loop.h"

namespace laurel::auth {
namespace {

std::string temp_db_path() {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() / ("laurel-async-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(counter++) + ".sqlite3"))
      .string();
}

// Wraps the SQLite store and records which thread each lookup ran on, to prove the loop
// thread never does the blocking work.
class ThreadRecordingStore : public UserStore {
 public:
  ThreadRecordingStore(const std::string& path, SqliteUserStore::Options o) : inner_(path, o) {}
  UserPtr find_by_username(std::string_view username) override {
    worker = std::this_thread::get_id();
    return inner_.find_by_username(username);
  }
  UserPtr find_by_id(std::int64_t id) override { return inner_.find_by_id(id); }
  UserPtr create_user(const NewUser& user) override { return inner_.create_user(user); }
  bool set_password(std::int64_t id, std::string_view hash) override {
    return inner_.set_password(id, hash);
  }
  bool update_last_login(std::int64_t id, Timestamp when) override {
    return inner_.update_last_login(id, when);
  }
  std::optional<StoredSession> load_session(std::string_view key, Timestamp now) override {
    return inner_.load_session(key, now);
  }
  bool create_session(std::string_view key, std::string_view data, Timestamp expire) override {
    return inner_.create_session(key, data, expire);
  }
  void save_session(std::string_view key, std::string_view data, Timestamp expire) override {
    inner_.save_session(key, data, expire);
  }
  void delete_session(std::string_view key) override { inner_.delete_session(key); }
  std::size_t clear_expired_sessions(Timestamp now) override {
    return inner_.clear_expired_sessions(now);
  }
  std::optional<std::int64_t> find_token_user(std::string_view key) override {
    return inner_.find_token_user(key);
  }
  bool has_token_table() override { return inner_.has_token_table(); }

  std::atomic<std::thread::id> worker{};

 private:
  SqliteUserStore inner_;
};

class AsyncUserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteUserStore::Options o;
    o.create_schema = true;
    store_ = std::make_shared<ThreadRecordingStore>(path_, o);
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_ = temp_db_path();
  std::shared_ptr<ThreadRecordingStore> store_;
};

TEST_F(AsyncUserStoreTest, CreatesAuthenticatesAndLoadsOffTheLoopThread) {
  AsyncUserStore users(store_);
  auto& loop = laurel::testing::default_loop();
  PasswordPolicy fast;
  fast.pbkdf2_iterations = 1000;
  auto flow = [&]() -> Task<UserPtr> {
    NewUser u;
    u.username = "frank";
    auto created = co_await users.create_user(loop, u, "hunter2", fast);
    EXPECT_TRUE(created);
    EXPECT_FALSE(co_await users.authenticate(loop, "frank", "hunter3", fast));
    co_return co_await users.authenticate(loop, "frank", "hunter2", fast);
  };
  UserPtr user = laurel::testing::run_until_complete(loop, flow(), std::chrono::seconds(30));
  ASSERT_TRUE(user);
  EXPECT_EQ(user->username, "frank");
  EXPECT_NE(store_->worker.load(), std::this_thread::get_id());
  EXPECT_NE(store_->worker.load(), std::thread::id());
}

TEST_F(AsyncUserStoreTest, SessionRoundTripAndErrorsReachTheAwaiter) {
  AsyncUserStore users(store_);
  auto& loop = laurel::testing::default_loop();
  auto expire = timestamp_now() + std::chrono::hours(1);
  auto flow = [&]() -> Task<std::optional<StoredSession>> {
    co_await users.save_session(loop, "asyncsessionkey1", "payload", expire);
    co_return co_await users.load_session(loop, "asyncsessionkey1", timestamp_now());
  };
  auto loaded = laurel::testing::run_until_complete(loop, flow(), std::chrono::seconds(30));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->session_data, "payload");

  NewUser dup;
  dup.username = "dup";
  dup.password_hash = "!x";
  store_->create_user(dup);
  PasswordPolicy fast;
  fast.pbkdf2_iterations = 1000;
  EXPECT_THROW(laurel::testing::run_until_complete(loop, users.create_user(loop, dup, "pw", fast),
                                                   std::chrono::seconds(30)),
               UserExistsError);
}

}  // namespace
}  // namespace laurel::auth
