// tests/middleware/session_auth_middleware_test.cpp
// Channels' AuthMiddlewareStack on Django sessions: the session's user, the anonymous user,
// the session auth hash that ends other sessions after a password change, and saving.

#include <gtest/gtest.h>

#include "consumers/as_asgi.h"
#include "middleware/session_middleware.h"
#include "tests/middleware/auth_flow_support.h"

namespace laurel::testing {
namespace {

class SessionAuth : public ::testing::Test {
 protected:
  AuthWorld world;
  asgi::ApplicationPtr app =
      middleware::AuthMiddlewareStack(consumers::as_asgi<WhoAmIConsumer>(), world.config);

  std::string user_seen(const std::string& cookie) {
    WebsocketCommunicator comm(app, "/ws/", {{"cookie", cookie}});
    EXPECT_TRUE(comm.connect().first);
    comm.send_to("x");
    std::string user(comm.receive_json_from()["user"].as_string());
    comm.disconnect();
    return user;
  }
};

TEST_F(SessionAuth, SessionCookieGivesTheDjangoUser) {
  EXPECT_EQ(user_seen("sessionid=" + world.session_for_alice()), "alice");
}

TEST_F(SessionAuth, NoOrUnknownCookieIsAnonymous) {
  EXPECT_EQ(user_seen(""), "");
  EXPECT_EQ(user_seen("sessionid=abcdefghijklmnopqrstuvwxyz012345"), "");
}

TEST_F(SessionAuth, SessionSignedWithAnotherKeyIsAnonymous) {
  auth::SessionData data = auth::SessionData::object();
  auth::SessionKeys other{"another-secret", {}};
  auth::set_session_user(data, world.alice->id, world.alice->password, other);
  std::string key = auth::new_session_key();
  world.store->create_session(key, auth::encode_session(data, other, world.now),
                              auth::timestamp_from_unix(world.now + 3600));
  EXPECT_EQ(user_seen("sessionid=" + key), "");
}

TEST_F(SessionAuth, PasswordChangeEndsOtherSessionsAndDeletesTheRow) {
  std::string key = world.session_for_alice();
  world.store->set_password(world.alice->id,
                            auth::make_password("a new password", world.config->policy));
  EXPECT_EQ(user_seen("sessionid=" + key), "");
  EXPECT_FALSE(world.store->load_session(key, auth::timestamp_from_unix(world.now)).has_value());
}

TEST_F(SessionAuth, ExpiredSessionRowIsAnonymous) {
  std::string key = world.session_for_alice();
  world.now += 7200;  // the row expires an hour after `now`
  EXPECT_EQ(user_seen("sessionid=" + key), "");
}

// A consumer that stores a value in the session and saves it, as Channels' asave().
class SavingConsumer : public consumers::WebsocketConsumer {
 public:
  Task<void> receive(std::string_view text) override {
    auto session = middleware::session_of(scope());
    session->data()["seen"] = std::string(text);
    co_await session->save(loop());
    send(session->session_key());
  }
};

TEST_F(SessionAuth, ConsumerSavesTheSessionInDjangosFormat) {
  std::string key = world.session_for_alice();
  auto saving = middleware::AuthMiddlewareStack(consumers::as_asgi<SavingConsumer>(), world.config);
  WebsocketCommunicator comm(saving, "/ws/", {{"cookie", "sessionid=" + key}});
  ASSERT_TRUE(comm.connect().first);
  comm.send_to("hello");
  EXPECT_EQ(comm.receive_from(std::chrono::seconds(2)), key);
  comm.disconnect();
  auto row = world.store->load_session(key, auth::timestamp_from_unix(world.now));
  ASSERT_TRUE(row.has_value());
  auto data = auth::decode_session(row->session_data, world.config->keys);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ((*data)["seen"], "hello");
  EXPECT_EQ((*data)["_auth_user_id"], std::to_string(world.alice->id));  // kept, still a string
}

TEST_F(SessionAuth, SessionMiddlewareOutsideCookieMiddlewareNamesTheFix) {
  auto wrong = std::make_shared<middleware::SessionMiddleware>(
      consumers::as_asgi<WhoAmIConsumer>(), world.config);
  auto out = handshake(wrong, ws_scope("/ws/"));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0]["status"].as_int(), 500);
}

}  // namespace
}  // namespace laurel::testing
