// Events: the ASGI dict form and type of each event.

#include "asgi/events.h"

#include <gtest/gtest.h>

namespace laurel::asgi {
namespace {

TEST(Events, HttpRequestCarriesBodyAsBytesAndMoreBody) {
  Value v = to_value(ReceiveEvent{HttpRequest{"abc", true}});
  EXPECT_EQ(v, Value({{"type", "http.request"}, {"body", Bytes{"abc"}}, {"more_body", true}}));
}

TEST(Events, WebsocketReceiveUsesTextOrBytes) {
  Value text = to_value(ReceiveEvent{WebsocketReceive{"hi", false}});
  EXPECT_EQ(text, Value({{"type", "websocket.receive"}, {"text", "hi"}}));
  EXPECT_FALSE(text.contains("bytes"));
  Value bin = to_value(ReceiveEvent{WebsocketReceive{std::string_view("\0\1", 2), true}});
  EXPECT_EQ(bin["bytes"], Value(Bytes{std::string("\0\1", 2)}));
  EXPECT_FALSE(bin.contains("text"));
}

TEST(Events, DisconnectsAndConnect) {
  EXPECT_EQ(to_value(ReceiveEvent{HttpDisconnect{}}), Value({{"type", "http.disconnect"}}));
  EXPECT_EQ(to_value(ReceiveEvent{WebsocketConnect{}}), Value({{"type", "websocket.connect"}}));
  EXPECT_EQ(to_value(ReceiveEvent{WebsocketDisconnect{1006, "gone"}}),
            Value({{"type", "websocket.disconnect"}, {"code", 1006}, {"reason", "gone"}}));
  EXPECT_EQ(to_value(ReceiveEvent{WebsocketDisconnect{}})["code"].as_int(), 1005);
}

TEST(Events, ResponseStartHasStatusAndHeadersAsBytePairs) {
  Value v =
      to_value(SendEvent{HttpResponseStart{404, {{"content-type", "text/plain"}, {"x-a", "1"}}}});
  EXPECT_EQ(v["type"], Value("http.response.start"));
  EXPECT_EQ(v["status"].as_int(), 404);
  EXPECT_EQ(v["headers"], Value::list({Value::list({Bytes{"content-type"}, Bytes{"text/plain"}}),
                                       Value::list({Bytes{"x-a"}, Bytes{"1"}})}));
}

TEST(Events, ResponseBody) {
  EXPECT_EQ(to_value(SendEvent{HttpResponseBody{"ok", false}}),
            Value({{"type", "http.response.body"}, {"body", Bytes{"ok"}}, {"more_body", false}}));
}

TEST(Events, AcceptWithAndWithoutSubprotocol) {
  Value with = to_value(SendEvent{WebsocketAccept{"bearer", {}}});
  EXPECT_EQ(with["type"], Value("websocket.accept"));
  EXPECT_EQ(with["subprotocol"], Value("bearer"));
  EXPECT_EQ(with["headers"], Value::list());
  EXPECT_TRUE(to_value(SendEvent{WebsocketAccept{}})["subprotocol"].is_null());
}

TEST(Events, SendAndClose) {
  EXPECT_EQ(to_value(SendEvent{WebsocketSend{"x", false}}),
            Value({{"type", "websocket.send"}, {"text", "x"}}));
  EXPECT_EQ(to_value(SendEvent{WebsocketSend{"x", true}}),
            Value({{"type", "websocket.send"}, {"bytes", Bytes{"x"}}}));
  EXPECT_EQ(to_value(SendEvent{WebsocketClose{4401, "logged out"}}),
            Value({{"type", "websocket.close"}, {"code", 4401}, {"reason", "logged out"}}));
}

TEST(Events, DenialResponse) {
  Value start =
      to_value(SendEvent{WebsocketHttpResponseStart{401, {{"www-authenticate", "Bearer"}}}});
  EXPECT_EQ(start["type"], Value("websocket.http.response.start"));
  EXPECT_EQ(start["status"].as_int(), 401);
  EXPECT_EQ(start["headers"].size(), 1u);
  Value body = to_value(SendEvent{WebsocketHttpResponseBody{"no", false}});
  EXPECT_EQ(body["type"], Value("websocket.http.response.body"));
  EXPECT_EQ(body["body"], Value(Bytes{"no"}));
}

TEST(Events, TypeOfMatchesTheDictForm) {
  const ReceiveEvent received[] = {HttpRequest{}, HttpDisconnect{}, WebsocketConnect{},
                                   WebsocketReceive{}, WebsocketDisconnect{}};
  for (const auto& e : received) EXPECT_EQ(to_value(e)["type"].as_string(), type_of(e));
  const SendEvent sent[] = {HttpResponseStart{},        HttpResponseBody{},
                            WebsocketAccept{},          WebsocketSend{},
                            WebsocketClose{},           WebsocketHttpResponseStart{},
                            WebsocketHttpResponseBody{}};
  for (const auto& e : sent) EXPECT_EQ(to_value(e)["type"].as_string(), type_of(e));
  EXPECT_EQ(type_of(SendEvent{WebsocketClose{}}), "websocket.close");
}

}  // namespace
}  // namespace laurel::asgi
