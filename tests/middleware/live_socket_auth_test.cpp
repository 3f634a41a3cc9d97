// tests/middleware/live_socket_auth_test.cpp
// After the handshake: revocation closes a user's sockets with 4401 through the channel
// layer, an expiring access token closes with 4408 unless refreshed in band, and opt-in
// first-message authentication.

#include <gtest/gtest.h>

#include "auth/revocation.h"
#include "consumers/as_asgi.h"
#include "middleware/default_stack.h"
#include "tests/middleware/auth_flow_support.h"

namespace laurel::testing {
namespace {

using middleware::default_websocket_stack;
using namespace std::chrono_literals;

class LiveSocket : public ::testing::Test {
 protected:
  AuthWorld world;
  asgi::ApplicationPtr app = default_websocket_stack(consumers::as_asgi<WhoAmIConsumer>(),
                                                     world.config, {"chat.example.com"});

  void revoke(std::int64_t user_id) {
    run_until_complete(auth::revoke_user_sockets(*world.layer, user_id, "logout"));
  }
  static int close_code_of(const asgi::Value& out) {
    EXPECT_EQ(out.get_string("type"), "websocket.close") << out.repr();
    const asgi::Value* code = out.find("code");
    return code ? static_cast<int>(code->as_int()) : 0;
  }
};

TEST_F(LiveSocket, RevocationClosesTheUsersSocketsWith4401) {
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + world.access_token()}});
  ASSERT_TRUE(comm.connect().first);
  run_ready(comm.loop());  // let the socket join its user's group
  revoke(world.alice->id);
  EXPECT_EQ(close_code_of(comm.receive_output()), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

TEST_F(LiveSocket, RevocationOfAnotherUserLeavesTheSocketOpen) {
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + world.access_token()}});
  ASSERT_TRUE(comm.connect().first);
  run_ready(comm.loop());
  revoke(world.alice->id + 1000);
  EXPECT_TRUE(comm.receive_nothing(50ms));
  comm.send_to("still here");
  EXPECT_EQ(comm.receive_json_from()["echo"].as_string(), "still here");
  comm.disconnect();
}

TEST_F(LiveSocket, SessionSocketsAreClosedByRevocationToo) {
  WebsocketCommunicator comm(app, "/ws/",
                             {{"cookie", "sessionid=" + world.session_for_alice()},
                              {"origin", "https://chat.example.com"}});
  ASSERT_TRUE(comm.connect().first);
  run_ready(comm.loop());
  revoke(world.alice->id);
  EXPECT_EQ(close_code_of(comm.receive_output()), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

TEST_F(LiveSocket, ExpiringAccessTokenClosesWith4408) {
  // now = t + 0.25 and the token lives 1 s from t: about 750 ms of real time is left.
  WebsocketCommunicator comm(app, "/ws/",
                             {{"authorization", "Bearer " + world.access_token(1)}});
  ASSERT_TRUE(comm.connect().first);
  world.now += 1;  // the injected clock says the token is dead when the timer fires
  EXPECT_EQ(close_code_of(comm.receive_output(3s)), auth::kCloseTokenExpired);
  comm.disconnect(auth::kCloseTokenExpired);
}

TEST_F(LiveSocket, InBandAuthenticateExtendsTheSocketAndNeverReachesTheConsumer) {
  WebsocketCommunicator comm(app, "/ws/",
                             {{"authorization", "Bearer " + world.access_token(1)}});
  ASSERT_TRUE(comm.connect().first);
  comm.send_json_to({{"type", "authenticate"}, {"token", world.access_token(300)}});
  auto reply = comm.receive_json_from();
  EXPECT_EQ(reply["type"].as_string(), "authenticated");
  EXPECT_GT(reply["expires_in"].as_int(), 200);
  world.now += 2;  // past the first token's expiry
  EXPECT_TRUE(comm.receive_nothing(1200ms));
  comm.send_to("after");
  EXPECT_EQ(comm.receive_json_from()["echo"].as_string(), "after");
  comm.disconnect();
}

TEST_F(LiveSocket, InBandAuthenticateWithAnotherUsersTokenCloses4401) {
  auto bob = world.store->create_user(auth::NewUser{"bob", "!x"});
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + world.access_token()}});
  ASSERT_TRUE(comm.connect().first);
  std::string bobs = auth::make_token("access", auth::Json(bob->id),
                                      static_cast<std::int64_t>(world.now), 300,
                                      world.config->signing_key());
  comm.send_json_to({{"type", "authenticate"}, {"token", bobs}});
  EXPECT_EQ(close_code_of(comm.receive_output()), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

class FirstMessage : public LiveSocket {
 protected:
  asgi::ApplicationPtr first_app() {
    middleware::WebsocketStackOptions options;
    options.first_message_auth = true;
    options.first_message_deadline = 100ms;
    return default_websocket_stack(consumers::as_asgi<WhoAmIConsumer>(), world.config, {},
                                   options);
  }
};

TEST_F(FirstMessage, AuthenticateMessageStartsTheApplicationAsTheUser) {
  WebsocketCommunicator comm(first_app(), "/ws/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_json_to({{"type", "authenticate"}, {"token", world.access_token()}});
  EXPECT_EQ(comm.receive_json_from()["type"].as_string(), "authenticated");
  comm.send_to("hello");
  auto seen = comm.receive_json_from();
  EXPECT_EQ(seen["user"].as_string(), "alice");
  EXPECT_EQ(seen["method"].as_string(), "first_message");
  comm.disconnect();
}

TEST_F(FirstMessage, SilenceClosesWith4401AtTheDeadline) {
  WebsocketCommunicator comm(first_app(), "/ws/");
  ASSERT_TRUE(comm.connect().first);
  EXPECT_EQ(close_code_of(comm.receive_output(2s)), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

TEST_F(FirstMessage, AnythingElseFirstClosesWith4401) {
  WebsocketCommunicator comm(first_app(), "/ws/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_to("{\"message\": \"hi\"}");
  EXPECT_EQ(close_code_of(comm.receive_output()), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

TEST_F(FirstMessage, ExpiredTokenInFirstMessageClosesWith4401) {
  std::string token = world.access_token(10);
  world.now += 11;
  WebsocketCommunicator comm(first_app(), "/ws/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_json_to({{"type", "authenticate"}, {"token", token}});
  EXPECT_EQ(close_code_of(comm.receive_output()), auth::kCloseUnauthorized);
  comm.disconnect(auth::kCloseUnauthorized);
}

}  // namespace
}  // namespace laurel::testing
