// tests/auth/auth_failure_metrics_test.cpp
// laurel_auth_failures_total{reason}: every refused password login is counted under a reason
// that tells the operator what failed (the response to the client never does).

#include <gtest/gtest.h>

#include "asgi/metrics.h"
#include "auth/model_backend.h"
#include "auth/sqlite_user_store.h"
#include "tests/auth/auth_failure_counts.h"

namespace laurel::auth {
namespace {

using test::auth_failures;

class AuthFailureMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteUserStore::Options options;
    options.create_schema = true;
    store = std::make_shared<SqliteUserStore>(":memory:", options);
    policy.pbkdf2_iterations = 1000;  // fast; the count under test is not the hash's
    store->create_user(NewUser{"alice", make_password("right password", policy)});
  }
  std::shared_ptr<SqliteUserStore> store;
  PasswordPolicy policy;
};

TEST_F(AuthFailureMetrics, WrongPasswordCountsBadPasswordOnly) {
  auto bad = auth_failures("bad_password");
  auto unknown = auth_failures("unknown_user");
  EXPECT_EQ(authenticate(*store, "alice", "wrong password", policy), nullptr);
  EXPECT_EQ(auth_failures("bad_password"), bad + 1);
  EXPECT_EQ(auth_failures("unknown_user"), unknown);
}

TEST_F(AuthFailureMetrics, UnknownUserCountsUnknownUserOnly) {
  auto bad = auth_failures("bad_password");
  auto unknown = auth_failures("unknown_user");
  EXPECT_EQ(authenticate(*store, "nobody", "whatever", policy), nullptr);
  EXPECT_EQ(auth_failures("unknown_user"), unknown + 1);
  EXPECT_EQ(auth_failures("bad_password"), bad);
}

TEST_F(AuthFailureMetrics, SuccessfulLoginCountsNothing) {
  auto bad = auth_failures("bad_password");
  auto unknown = auth_failures("unknown_user");
  auto inactive = auth_failures("inactive_user");
  ASSERT_NE(authenticate(*store, "alice", "right password", policy), nullptr);
  EXPECT_EQ(auth_failures("bad_password"), bad);
  EXPECT_EQ(auth_failures("unknown_user"), unknown);
  EXPECT_EQ(auth_failures("inactive_user"), inactive);
}

TEST_F(AuthFailureMetrics, TheSeriesIsRenderedForPrometheus) {
  (void)authenticate(*store, "alice", "wrong again", policy);
  std::string text = metrics::Registry::global().render();
  EXPECT_NE(text.find("# TYPE laurel_auth_failures_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("laurel_auth_failures_total{reason=\"bad_password\"}"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace laurel::auth
