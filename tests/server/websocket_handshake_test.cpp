// tests/server/websocket_handshake_test.cpp

#include "server/websocket_handshake.h"

#include <gtest/gtest.h>

namespace laurel::server {
namespace {

asgi::Headers rfc_request() {
  return {{"host", "server.example.com"},   {"upgrade", "websocket"},
          {"connection", "Upgrade"},        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"origin", "http://example.com"}, {"sec-websocket-protocol", "chat, superchat"},
          {"sec-websocket-version", "13"}};
}

asgi::Headers without(asgi::Headers h, std::string_view name) {
  std::erase_if(h, [&](const auto& kv) { return kv.first == name; });
  return h;
}

asgi::Headers replaced(asgi::Headers h, std::string_view name, std::string value) {
  for (auto& kv : h) {
    if (kv.first == name) kv.second = value;
  }
  return h;
}

// RFC 6455 §1.3 and §4.2.2: the example key and its accept value.
TEST(WebsocketHandshake, ComputesTheRfcAcceptKey) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebsocketHandshake, AcceptsTheRfcRequest) {
  auto c = check_handshake("GET", 1, 1, rfc_request());
  EXPECT_TRUE(c.is_upgrade);
  EXPECT_EQ(c.error_status, 0) << c.error;
  EXPECT_EQ(c.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(c.subprotocols, (std::vector<std::string>{"chat", "superchat"}));
}

TEST(WebsocketHandshake, ReadsTokenListsCaseInsensitively) {
  auto h = replaced(rfc_request(), "upgrade", "h2c, WebSocket");
  h = replaced(h, "connection", "keep-alive, UPGRADE");
  auto c = check_handshake("GET", 1, 1, h);
  EXPECT_TRUE(c.is_upgrade);
  EXPECT_EQ(c.error_status, 0) << c.error;
}

TEST(WebsocketHandshake, IsNotAnUpgradeWithoutUpgradeWebsocket) {
  EXPECT_FALSE(check_handshake("GET", 1, 1, without(rfc_request(), "upgrade")).is_upgrade);
  EXPECT_FALSE(check_handshake("GET", 1, 1, replaced(rfc_request(), "upgrade", "h2c")).is_upgrade);
}

TEST(WebsocketHandshake, RefusesOtherMethods) {
  auto c = check_handshake("POST", 1, 1, rfc_request());
  EXPECT_TRUE(c.is_upgrade);
  EXPECT_EQ(c.error_status, 400);
}

TEST(WebsocketHandshake, RefusesHttp10) {
  EXPECT_EQ(check_handshake("GET", 1, 0, rfc_request()).error_status, 400);
  EXPECT_EQ(check_handshake("GET", 2, 0, rfc_request()).error_status, 0);
}

TEST(WebsocketHandshake, RefusesWithoutConnectionUpgrade) {
  EXPECT_EQ(check_handshake("GET", 1, 1, without(rfc_request(), "connection")).error_status, 400);
  EXPECT_EQ(check_handshake("GET", 1, 1, replaced(rfc_request(), "connection", "keep-alive"))
                .error_status,
            400);
}

TEST(WebsocketHandshake, AnswersAWrongVersionWith426) {
  EXPECT_EQ(check_handshake("GET", 1, 1, replaced(rfc_request(), "sec-websocket-version", "8"))
                .error_status,
            426);
  EXPECT_EQ(
      check_handshake("GET", 1, 1, without(rfc_request(), "sec-websocket-version")).error_status,
      426);
  EXPECT_EQ(check_handshake("GET", 1, 1, replaced(rfc_request(), "sec-websocket-version", "13, 8"))
                .error_status,
            426);
}

TEST(WebsocketHandshake, RefusesKeysThatAreNotSixteenBytes) {
  for (const char* key : {"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
                          "dGhlIHNhbXBsZSBub25j",       // 15 bytes
                          "dGhlIHNhbXBsZSBub25jZSE=",   // 17 bytes
                          "dGhlIHNhbXBsZSBub25j*Q==",   // not base64
                          "dGhlIHNhbXBsZSBub25jZQ"}) {  // no padding
    auto c = check_handshake("GET", 1, 1, replaced(rfc_request(), "sec-websocket-key", key));
    EXPECT_EQ(c.error_status, 400) << key;
    EXPECT_TRUE(c.key.empty());
  }
  EXPECT_EQ(check_handshake("GET", 1, 1, without(rfc_request(), "sec-websocket-key")).error_status,
            400);
}

TEST(WebsocketHandshake, RefusesTwoKeys) {
  auto h = rfc_request();
  h.emplace_back("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_EQ(check_handshake("GET", 1, 1, h).error_status, 400);
}

TEST(WebsocketHandshake, CollectsSubprotocolsFromSeveralHeaders) {
  auto h = without(rfc_request(), "sec-websocket-protocol");
  h.emplace_back("sec-websocket-protocol", " bearer ,, token.abc ");
  h.emplace_back("sec-websocket-protocol", "chat");
  auto c = check_handshake("GET", 1, 1, h);
  EXPECT_EQ(c.error_status, 0);
  EXPECT_EQ(c.subprotocols, (std::vector<std::string>{"bearer", "token.abc", "chat"}));
}

TEST(WebsocketHandshake, WritesThe101Response) {
  auto r = switching_protocols_response("dGhlIHNhbXBsZSBub25jZQ==", std::string("chat"),
                                        {{"set-cookie", "a=b"}}, "laurel");
  EXPECT_EQ(r,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "set-cookie: a=b\r\n"
            "Server: laurel\r\n"
            "\r\n");
}

TEST(WebsocketHandshake, LeavesOutProtocolAndServerWhenNotGiven) {
  auto r = switching_protocols_response("dGhlIHNhbXBsZSBub25jZQ==", std::nullopt, {}, "");
  EXPECT_EQ(r,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
}

TEST(WebsocketHandshake, DropsExtraHeadersThatWouldBreakTheResponse) {
  auto r = switching_protocols_response("dGhlIHNhbXBsZSBub25jZQ==", std::nullopt,
                                        {{"x-evil", "a\r\nInjected: yes"},
                                         {"bad name", "v"},
                                         {"sec-websocket-accept", "forged"},
                                         {"upgrade", "h2c"},
                                         {"x-ok", "fine"}},
                                        "");
  EXPECT_EQ(r.find("Injected"), std::string::npos);
  EXPECT_EQ(r.find("bad name"), std::string::npos);
  EXPECT_EQ(r.find("forged"), std::string::npos);
  EXPECT_EQ(r.find("h2c"), std::string::npos);
  EXPECT_NE(r.find("x-ok: fine\r\n"), std::string::npos);
}

TEST(WebsocketHandshake, UpgradeRequiredNamesVersion13) {
  std::string out;
  append_upgrade_required(out, "Sec-WebSocket-Version must be 13", "laurel");
  EXPECT_EQ(out.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u);
  EXPECT_NE(out.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nServer: laurel\r\n"), std::string::npos);
  const auto body_at = out.find("\r\n\r\n") + 4;
  EXPECT_NE(out.find("Content-Length: " + std::to_string(out.size() - body_at) + "\r\n"),
            std::string::npos);
}

}  // namespace
}  // namespace laurel::server
