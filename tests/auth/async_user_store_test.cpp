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
  return (std::filesystem::temp_directory_path() /
          ("laurel-async-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
           ".sqlite3"))
      .string();
}

// Records which thread each blocking call ran on, to prove the loop thread never does the work.
class ThreadRecordingStore : public SqliteUserStore {
 public:
  using SqliteUserStore::SqliteUserStore;
  UserPtr find_by_username(std::string_view username) override {
    worker = std::this_thread::get_id();
    return SqliteUserStore::find_by_username(username);
  }
  std::thread::id worker;
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
  EXPECT_NE(store_->worker, std::this_thread::get_id());
  EXPECT_NE(store_->worker, std::thread::id());
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
  EXPECT_THROW(laurel::testing::run_until_complete(
                   loop, users.create_user(loop, dup, "pw", fast), std::chrono::seconds(30)),
               UserExistsError);
}

}  // namespace
}  // namespace laurel::auth
