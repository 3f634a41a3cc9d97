// tests/middleware/auth_failure_metrics_test.cpp
// The handshake refusals of the authentication middleware are counted in
// laurel_auth_failures_total under short stable reasons (docs/authentication.md, Metrics).

#include <gtest/gtest.h>

#include "consumers/as_asgi.h"
#include "middleware/default_stack.h"
#include "tests/auth/auth_failure_counts.h"
#include "tests/middleware/auth_flow_support.h"

namespace laurel::testing {
namespace {

using test::auth_failures;

class AuthFailureMetricsAtHandshake : public ::testing::Test {
 protected:
  AuthWorld world;
  asgi::ApplicationPtr app = middleware::default_websocket_stack(
      consumers::as_asgi<WhoAmIConsumer>(), world.config, {"chat.example.com"});

  int status_of(const asgi::Headers& headers) {
    auto out = handshake(app, ws_scope("/ws/", headers));
    if (out.empty() || out[0].get_string("type") != "websocket.http.response.start") return 0;
    return static_cast<int>(out[0]["status"].as_int());
  }
};

TEST_F(AuthFailureMetricsAtHandshake, ExpiredAndTamperedTokensAreCountedApart) {
  auto expired = auth_failures("expired_token");
  auto bad = auth_failures("bad_token");
  std::string old = world.access_token(300);
  world.now += 301;
  EXPECT_EQ(status_of({{"authorization", "Bearer " + old}}), 401);
  EXPECT_EQ(auth_failures("expired_token"), expired + 1);
  EXPECT_EQ(auth_failures("bad_token"), bad);

  std::string token = world.access_token();
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(status_of({{"authorization", "Bearer " + token}}), 401);
  EXPECT_EQ(auth_failures("bad_token"), bad + 1);
  EXPECT_EQ(auth_failures("expired_token"), expired + 1);
}

TEST_F(AuthFailureMetricsAtHandshake, ReplayedTicketIsCounted) {
  auto before = auth_failures("bad_ticket");
  EXPECT_EQ(status_of({}), 0);  // no credentials: anonymous, not a failure
  std::string ticket = world.config->tickets->issue(world.alice->id, world.now, 10);
  ASSERT_FALSE(ticket.empty());
  auto first = handshake(app, ws_scope("/ws/?ticket=" + ticket));
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0].get_string("type"), "websocket.accept");
  EXPECT_EQ(auth_failures("bad_ticket"), before);
  auto replay = handshake(app, ws_scope("/ws/?ticket=" + ticket));
  ASSERT_FALSE(replay.empty());
  EXPECT_EQ(replay[0]["status"].as_int(), 401);
  EXPECT_EQ(auth_failures("bad_ticket"), before + 1);
}

TEST_F(AuthFailureMetricsAtHandshake, CookieFromAForeignOriginIsCountedAsOrigin) {
  auto before = auth_failures("origin");
  std::string key = world.session_for_alice();
  EXPECT_EQ(status_of({{"cookie", "sessionid=" + key}, {"origin", "https://evil.example"}}), 403);
  EXPECT_EQ(auth_failures("origin"), before + 1);
}

}  // namespace
}  // namespace laurel::testing
