// tests/middleware/rate_limit_test.cpp
// Login rate limiting: failures use up a username's and an address's bucket, 429 with
// Retry-After once empty, refill with (injected) time, successes cost nothing.

#include <gtest/gtest.h>

#include "auth/endpoints.h"
#include "middleware/rate_limit.h"
#include "tests/middleware/auth_flow_support.h"

namespace laurel::testing {
namespace {

class LoginRateLimitTest : public ::testing::Test {
 protected:
  AuthWorld world;
  double clock = 1000;
  std::shared_ptr<middleware::LoginRateLimit> limit;
  asgi::ApplicationPtr app;

  LoginRateLimitTest() {
    middleware::LoginRateLimitOptions options;
    options.username_burst = 3;
    options.username_per_second = 1.0 / 60;
    options.address_burst = 5;
    options.address_per_second = 1.0 / 10;
    options.clock = [this] { return clock; };
    limit = std::make_shared<middleware::LoginRateLimit>(
        auth::auth_endpoint(auth::Endpoint::kToken, world.config), options);
    app = limit;
  }

  HttpCommunicator::Response login(const std::string& username, const std::string& password,
                                   const std::string& address = "10.0.0.1") {
    asgi::Value body{{"username", username}, {"password", password}};
    HttpCommunicator comm(app, "POST", "/auth/token", body.to_json(),
                          {{"content-type", "application/json"}});
    comm.scope()["client"] = asgi::Value::list({address, 5000});
    return comm.get_response(std::chrono::seconds(5));
  }
};

TEST_F(LoginRateLimitTest, FailuresPerUsernameEndIn429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("alice", "wrong").status, 401);
  auto limited = login("alice", "wrong");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "60");
  // Even the right password waits: the bucket is checked before any hashing.
  EXPECT_EQ(login("alice", kAlicePassword).status, 429);
}

TEST_F(LoginRateLimitTest, BucketRefillsWithTime) {
  for (int i = 0; i < 3; ++i) login("alice", "wrong");
  EXPECT_EQ(login("alice", "wrong").status, 429);
  clock += 61;
  EXPECT_EQ(login("alice", kAlicePassword).status, 200);
}

TEST_F(LoginRateLimitTest, SuccessfulLoginsCostNothing) {
  for (int i = 0; i < 6; ++i) EXPECT_EQ(login("alice", kAlicePassword).status, 200);
}

TEST_F(LoginRateLimitTest, SprayingUsernamesFromOneAddressIsLimited) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login("user" + std::to_string(i), "x").status, 401);
  auto limited = login("another", "x");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "10");
  EXPECT_EQ(login("another", "x", "10.0.0.2").status, 401);  // other addresses unaffected
}

TEST(TokenBuckets, RetryAfterIsTheTimeToTheNextToken) {
  middleware::TokenBuckets buckets(1, 0.5);
  EXPECT_TRUE(buckets.try_take("k", 0));
  EXPECT_FALSE(buckets.try_take("k", 0.5));
  EXPECT_DOUBLE_EQ(buckets.retry_after("k", 0.5), 1.5);
  EXPECT_TRUE(buckets.try_take("k", 2.0));
}

}  // namespace
}  // namespace laurel::testing
