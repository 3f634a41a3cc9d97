// tests/auth/auth_failure_metrics_test.cpp
// laurel_auth_failures_total{reason}: every refused password login is counted under a reason
// that tells the operator what failed (the response to the client never does).

#include <gtest/gtest.h>

#include "asgi/metrics.h"
#include "auth/model_backend.h"
#include "auth/sqlite_user_store.h"

namespace laurel::auth {
namespace {

std::uint64_t failures(std::string_view reason) {
  return metrics::Registry::global()
      .counter("laurel_auth_failures_total", "Authentication failures by reason",
               {{"reason", std::string(reason)}})
      .value();
}

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
  auto bad = failures("bad_password");
  auto unknown = failures("unknown_user");
  EXPECT_EQ(authenticate(*store, "alice", "wrong password", policy), nullptr);
  EXPECT_EQ(failures("bad_password"), bad + 1);
  EXPECT_EQ(failures("unknown_user"), unknown);
}

TEST_F(AuthFailureMetrics, UnknownUserCountsUnknownUserOnly) {
  auto bad = failures("bad_password");
  auto unknown = failures("unknown_user");
  EXPECT_EQ(authenticate(*store, "nobody", "whatever", policy), nullptr);
  EXPECT_EQ(failures("unknown_user"), unknown + 1);
  EXPECT_EQ(failures("bad_password"), bad);
}

TEST_F(AuthFailureMetrics, SuccessfulLoginCountsNothing) {
  auto bad = failures("bad_password");
  auto unknown = failures("unknown_user");
  auto inactive = failures("inactive_user");
  ASSERT_NE(authenticate(*store, "alice", "right password", policy), nullptr);
  EXPECT_EQ(failures("bad_password"), bad);
  EXPECT_EQ(failures("unknown_user"), unknown);
  EXPECT_EQ(failures("inactive_user"), inactive);
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
