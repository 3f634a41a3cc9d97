// tests/consumers/chat_consumer_test.cpp: the tutorial chat through the demo's real routing,
// two members of a room, a member of another room, the username in messages, and the echo.

#include <gtest/gtest.h>

#include "asgi/routing.h"
#include "auth/user_store.h"
#include "consumer_test_support.h"

// The chat example is built into the laurel-chat program, not into a library; compile its
// consumers into this test until a laurel_chat library target exists. (chat_app.cpp also builds
// the authenticated stack, which needs auth/ and middleware/, so the routes are repeated below.)
#include "examples/chat/chat_consumer.cpp"
#include "examples/chat/chat_pages.cpp"

namespace laurel::consumers::test {
namespace {

using asgi::Value;
using laurel::testing::HttpCommunicator;
using laurel::testing::WebsocketCommunicator;

// chat::make_application() without authentication: the tutorial's routing.
asgi::ApplicationPtr tutorial_application() {
  using asgi::path;
  using asgi::re_path;
  auto websocket_urlpatterns = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      re_path(R"(ws/chat/(?P<room_name>\w+)/$)", as_asgi<chat::ChatConsumer>(), "chat"),
      re_path(R"(ws/echo/$)", as_asgi<chat::EchoConsumer>(), "echo"),
  });
  auto urlpatterns = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      path("", as_asgi<chat::LobbyPage>(), "index"),
      path("chat/<str:room_name>/", as_asgi<chat::RoomPage>(), "room"),
  });
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"http", urlpatterns},
      {"websocket", websocket_urlpatterns},
  });
}

class ChatTest : public ConsumerTest {
 protected:
  asgi::ApplicationPtr app_ = tutorial_application();
};

TEST_F(ChatTest, TwoMembersOfARoomSeeEachOthersMessages) {
  WebsocketCommunicator alice(app_, "/ws/chat/lobby/");
  WebsocketCommunicator bob(app_, "/ws/chat/lobby/");
  alice.scope()["user"] = Value{{"username", "alice"}};
  ASSERT_TRUE(alice.connect().first);
  ASSERT_TRUE(bob.connect().first);
  EXPECT_EQ(layer_->group_size("chat_lobby"), 2u);

  alice.send_json_to(Value{{"message", "hello"}});
  Value to_alice = alice.receive_json_from();
  Value to_bob = bob.receive_json_from();
  EXPECT_EQ(to_alice, (Value{{"message", "hello"}, {"user", "alice"}}));
  EXPECT_EQ(to_bob, to_alice);

  bob.send_json_to(Value{{"message", "hi alice"}});
  EXPECT_EQ(alice.receive_json_from(), (Value{{"message", "hi alice"}, {"user", "anonymous"}}));
  EXPECT_EQ(bob.receive_json_from()["message"], Value("hi alice"));

  alice.disconnect();
  bob.disconnect();
  EXPECT_EQ(layer_->group_size("chat_lobby"), 0u);
}

TEST_F(ChatTest, AnotherRoomHearsNothing) {
  WebsocketCommunicator lobby(app_, "/ws/chat/lobby/");
  WebsocketCommunicator kitchen(app_, "/ws/chat/kitchen/");
  ASSERT_TRUE(lobby.connect().first);
  ASSERT_TRUE(kitchen.connect().first);
  lobby.send_json_to(Value{{"message", "only for the lobby"}});
  EXPECT_EQ(lobby.receive_json_from()["message"], Value("only for the lobby"));
  EXPECT_TRUE(kitchen.receive_nothing());
}

TEST_F(ChatTest, AGroupMessageFromAnotherProcessReachesTheRoom) {
  // What a Python process on the same layer sends: no "user" key.
  WebsocketCommunicator member(app_, "/ws/chat/lobby/");
  ASSERT_TRUE(member.connect().first);
  run(layer_->group_send("chat_lobby", Value{{"type", "chat.message"}, {"message", "from py"}}));
  EXPECT_EQ(member.receive_json_from(), (Value{{"message", "from py"}}));
}

TEST_F(ChatTest, AnAuthenticatedUserNamesTheirMessages) {
  auto user = std::make_shared<auth::User>();
  user->username = "carol";
  WebsocketCommunicator member(app_, "/ws/chat/lobby/");
  member.scope()["user"] = asgi::ObjectPtr(user);
  ASSERT_TRUE(member.connect().first);
  member.send_json_to(Value{{"message", "hey"}});
  EXPECT_EQ(member.receive_json_from()["user"], Value("carol"));
}

TEST_F(ChatTest, MalformedInputClosesTheSocketWith1011LikeThePythonConsumer) {
  WebsocketCommunicator member(app_, "/ws/chat/lobby/");
  ASSERT_TRUE(member.connect().first);
  member.send_to("not json");
  EXPECT_EQ(member.receive_output()["code"], Value(1011));
}

TEST_F(ChatTest, UnroutedPathsAreDenied) {
  WebsocketCommunicator nowhere(app_, "/ws/chat/");
  EXPECT_FALSE(nowhere.connect().first);
}

TEST_F(ChatTest, EchoReturnsTextAsTextAndBinaryAsBinary) {
  WebsocketCommunicator echo(app_, "/ws/echo/");
  ASSERT_TRUE(echo.connect().first);
  echo.send_to("ping");
  auto text = echo.receive_frame_from();
  EXPECT_EQ(text.data, "ping");
  EXPECT_FALSE(text.binary);
  echo.send_bytes_to(std::string("\xff\x00\x01", 3));
  auto bytes = echo.receive_frame_from();
  EXPECT_EQ(bytes.data, std::string("\xff\x00\x01", 3));
  EXPECT_TRUE(bytes.binary);
}

TEST_F(ChatTest, TheLobbyAndRoomPagesAreServed) {
  HttpCommunicator index(app_, "GET", "/");
  auto lobby = index.get_response();
  EXPECT_EQ(lobby.status, 200);
  EXPECT_EQ(lobby.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(lobby.body.find("room-name-input"), std::string::npos);
  HttpCommunicator room(app_, "GET", "/chat/lobby/");
  auto page = room.get_response();
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("/ws/chat/"), std::string::npos);
}

}  // namespace
}  // namespace laurel::consumers::test
