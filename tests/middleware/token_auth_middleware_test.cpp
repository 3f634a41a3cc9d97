// tests/middleware/token_auth_middleware_test.cpp
// The handshake side of laurel's authentication: which credentials open a socket, which are
// refused with 401 (and how the refusal tells "refresh" from "log in again"), the 403 of the
// cookie origin policy, and the subprotocol that never echoes the token.

#include <gtest/gtest.h>

#include "auth/encoding.h"
#include "consumers/as_asgi.h"
#include "middleware/cookie_origin_policy.h"
#include "middleware/default_stack.h"
#include "middleware/login_required.h"
#include "tests/middleware/auth_flow_support.h"

namespace laurel::testing {
namespace {

using middleware::default_websocket_stack;

class TokenAuth : public ::testing::Test {
 protected:
  AuthWorld world;
  asgi::ApplicationPtr app = default_websocket_stack(
      consumers::as_asgi<WhoAmIConsumer>(), world.config, {"chat.example.com"});

  asgi::Value whoami(WebsocketCommunicator& comm) {
    comm.send_to("hi");
    return comm.receive_json_from();
  }
};

TEST_F(TokenAuth, BearerHeaderWithoutOriginAuthenticatesNativeClient) {
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + world.access_token()}});
  auto [ok, subprotocol] = comm.connect();
  ASSERT_TRUE(ok);
  EXPECT_FALSE(subprotocol.has_value());
  auto seen = whoami(comm);
  EXPECT_EQ(seen["user"].as_string(), "alice");
  EXPECT_EQ(seen["method"].as_string(), "bearer");
  comm.disconnect();
}

TEST_F(TokenAuth, NoCredentialsIsAnonymousNotRefused) {
  WebsocketCommunicator comm(app, "/ws/");
  ASSERT_TRUE(comm.connect().first);
  EXPECT_EQ(whoami(comm)["user"].as_string(), "");
  comm.disconnect();
}

TEST_F(TokenAuth, ExpiredBearerIsRefusedWith401SayingExpired) {
  std::string token = world.access_token(300);
  world.now += 301;
  auto out = handshake(app, ws_scope("/ws/", {{"authorization", "Bearer " + token}}));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].get_string("type"), "websocket.http.response.start");
  EXPECT_EQ(out[0]["status"].as_int(), 401);
  std::string www = header_in(out[0], "www-authenticate");
  EXPECT_NE(www.find("Bearer realm=\"laurel\""), std::string::npos) << www;
  EXPECT_NE(www.find("error=\"invalid_token\""), std::string::npos) << www;
  EXPECT_NE(www.find("expired"), std::string::npos) << www;
}

TEST_F(TokenAuth, TamperedBearerIsRefusedWith401NotSayingExpired) {
  std::string token = world.access_token();
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  auto out = handshake(app, ws_scope("/ws/", {{"authorization", "Bearer " + token}}));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0]["status"].as_int(), 401);
  std::string www = header_in(out[0], "www-authenticate");
  EXPECT_NE(www.find("invalid_token"), std::string::npos);
  EXPECT_EQ(www.find("expired"), std::string::npos) << www;
}

TEST_F(TokenAuth, RefreshTokenIsNotAnAccessToken) {
  std::string refresh = auth::make_token("refresh", auth::Json(world.alice->id),
                                         static_cast<std::int64_t>(world.now), 3600,
                                         world.config->signing_key());
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + refresh}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, TokenSignedWithAnotherKeyIsRefused) {
  std::string forged = auth::make_token("access", auth::Json(world.alice->id),
                                        static_cast<std::int64_t>(world.now), 300, "other-key");
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + forged}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, BearerWithExtraPartsIsRefused) {
  WebsocketCommunicator comm(app, "/ws/",
                             {{"authorization", "Bearer " + world.access_token() + " extra"}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, TokenOfAnInactiveUserIsRefused) {
  auto bob = world.store->create_user(auth::NewUser{"bob", "!unusable", "", "", "", false, false,
                                                    false});
  std::string token = auth::make_token("access", auth::Json(bob->id),
                                       static_cast<std::int64_t>(world.now), 300,
                                       world.config->signing_key());
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + token}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, DrfTokenKeyAuthenticatesCaseInsensitively) {
  std::string key = world.store->create_token(world.alice->id);
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "token   " + key}});
  ASSERT_TRUE(comm.connect().first);
  auto seen = whoami(comm);
  EXPECT_EQ(seen["user"].as_string(), "alice");
  EXPECT_EQ(seen["method"].as_string(), "token");
  comm.disconnect();
}

TEST_F(TokenAuth, UnknownDrfTokenIsRefused) {
  WebsocketCommunicator comm(app, "/ws/",
                             {{"authorization", "Token 0123456789abcdef0123456789abcdef01234567"}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, SubprotocolTokenIsAnsweredWithPlainBearerAndHiddenFromTheScope) {
  std::string token = world.access_token();
  WebsocketCommunicator comm(app, "/ws/", {{"sec-websocket-protocol", "bearer, " + token}},
                             {"bearer", token});
  auto [ok, subprotocol] = comm.connect();
  ASSERT_TRUE(ok);
  ASSERT_TRUE(subprotocol.has_value());
  EXPECT_EQ(*subprotocol, "bearer");
  auto seen = whoami(comm);
  EXPECT_EQ(seen["user"].as_string(), "alice");
  EXPECT_EQ(seen["method"].as_string(), "subprotocol");
  EXPECT_EQ(seen["subprotocols"], asgi::Value::list({"bearer"}));
  EXPECT_EQ(seen.to_json().find(token), std::string::npos);
  comm.disconnect();
}

TEST_F(TokenAuth, BadSubprotocolTokenIsRefusedAtTheHandshake) {
  WebsocketCommunicator comm(app, "/ws/", {}, {"bearer", "not.a.token"});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, TicketOpensOneSocketOnlyOnce) {
  std::string ticket = world.config->tickets->issue(world.alice->id, world.now, 10);
  WebsocketCommunicator first(app, "/ws/?ticket=" + ticket);
  ASSERT_TRUE(first.connect().first);
  EXPECT_EQ(whoami(first)["method"].as_string(), "ticket");
  first.disconnect();
  WebsocketCommunicator replay(app, "/ws/?ticket=" + ticket);
  EXPECT_FALSE(replay.connect().first);
  EXPECT_EQ(replay.close_code(), 401);
}

TEST_F(TokenAuth, ExpiredTicketIsRefused) {
  std::string ticket = world.config->tickets->issue(world.alice->id, world.now, 10);
  world.now += 11;
  WebsocketCommunicator comm(app, "/ws/?ticket=" + ticket);
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, SessionCookieFromForeignOriginIsRefusedWith403) {
  std::string key = world.session_for_alice();
  WebsocketCommunicator comm(app, "/ws/",
                             {{"cookie", "sessionid=" + key}, {"origin", "https://evil.example"}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 403);
}

TEST_F(TokenAuth, SessionCookieWithoutOriginIsRefusedWith403) {
  std::string key = world.session_for_alice();
  WebsocketCommunicator comm(app, "/ws/", {{"cookie", "sessionid=" + key}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 403);
}

TEST_F(TokenAuth, SessionCookieFromAllowedOriginAuthenticates) {
  std::string key = world.session_for_alice();
  WebsocketCommunicator comm(
      app, "/ws/", {{"cookie", "sessionid=" + key}, {"origin", "https://chat.example.com"}});
  ASSERT_TRUE(comm.connect().first);
  auto seen = whoami(comm);
  EXPECT_EQ(seen["user"].as_string(), "alice");
  EXPECT_EQ(seen["method"].as_string(), "session");
  comm.disconnect();
}

TEST_F(TokenAuth, BearerFromForeignOriginIsNotAnAmbientCredential) {
  WebsocketCommunicator comm(app, "/ws/",
                             {{"authorization", "Bearer " + world.access_token()},
                              {"origin", "https://elsewhere.example"}});
  EXPECT_TRUE(comm.connect().first);
  comm.disconnect();
}

TEST_F(TokenAuth, LoggedOutUserTokensIssuedBeforeAreRefused) {
  std::string token = world.access_token();
  world.now += 2;
  world.config->revoked->revoke(world.alice->id, world.now);
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", "Bearer " + token}});
  EXPECT_FALSE(comm.connect().first);
  EXPECT_EQ(comm.close_code(), 401);
}

TEST_F(TokenAuth, LoginRequiredRefusesAnonymousWith401) {
  auto guarded = default_websocket_stack(
      std::make_shared<middleware::LoginRequired>(consumers::as_asgi<WhoAmIConsumer>()),
      world.config, {"chat.example.com"});
  auto out = handshake(guarded, ws_scope("/ws/"));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0]["status"].as_int(), 401);
  EXPECT_EQ(header_in(out[0], "www-authenticate"), "Bearer realm=\"laurel\"");
}

TEST_F(TokenAuth, BasicIsIgnoredUnlessEnabled) {
  std::string basic = "Basic " + auth::base64_encode(std::string("alice:") + kAlicePassword);
  WebsocketCommunicator comm(app, "/ws/", {{"authorization", basic}});
  ASSERT_TRUE(comm.connect().first);
  EXPECT_EQ(whoami(comm)["user"].as_string(), "");
  comm.disconnect();
}

TEST_F(TokenAuth, BasicNeedsTlsUnlessExplicitlyAllowed) {
  middleware::WebsocketStackOptions options;
  options.token.basic = true;
  auto basic_app = default_websocket_stack(consumers::as_asgi<WhoAmIConsumer>(), world.config,
                                           {}, options);
  std::string basic = "Basic " + auth::base64_encode(std::string("alice:") + kAlicePassword);
  WebsocketCommunicator plain(basic_app, "/ws/", {{"authorization", basic}});
  EXPECT_FALSE(plain.connect().first);
  EXPECT_EQ(plain.close_code(), 401);

  WebsocketCommunicator tls(basic_app, "/ws/", {{"authorization", basic}});
  tls.scope()["scheme"] = "wss";
  ASSERT_TRUE(tls.connect(std::chrono::seconds(5)).first);
  EXPECT_EQ(whoami(tls)["method"].as_string(), "basic");
  tls.disconnect();

  std::string wrong = "Basic " + auth::base64_encode("alice:wrong");
  WebsocketCommunicator bad(basic_app, "/ws/", {{"authorization", wrong}});
  bad.scope()["scheme"] = "wss";
  EXPECT_FALSE(bad.connect(std::chrono::seconds(5)).first);
  EXPECT_EQ(bad.close_code(), 401);
}

}  // namespace
}  // namespace laurel::testing
