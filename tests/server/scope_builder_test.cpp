// tests/server/scope_builder_test.cpp
#include "server/scope_builder.h"

#include <gtest/gtest.h>

namespace laurel::server {
namespace {

using asgi::Bytes;
using asgi::Value;

RequestHead head_for(std::string target, asgi::Headers headers) {
  RequestHead h;
  h.method = "GET";
  h.target = std::move(target);
  h.headers = std::move(headers);
  return h;
}

ConnectionInfo tcp_conn() {
  return ConnectionInfo{"10.0.0.7", 51234, "127.0.0.1", 8000, false};
}

TEST(ScopeBuilder, PercentDecodesThePathAsUtf8) {
  EXPECT_EQ(percent_decode_path("/a%20b/%C3%A9t%C3%A9"), "/a b/\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(percent_decode_path("/plain"), "/plain");
  EXPECT_EQ(percent_decode_path("/%2F%2f"), "///");
}

TEST(ScopeBuilder, ReplacesInvalidUtf8WithTheReplacementCharacter) {
  EXPECT_EQ(percent_decode_path("/%FF"), "/\xEF\xBF\xBD");
  EXPECT_EQ(percent_decode_path("/%C3"), "/\xEF\xBF\xBD");           // truncated sequence
  EXPECT_EQ(percent_decode_path("/%ED%A0%80"), "/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(ScopeBuilder, LeavesBrokenEscapesAlone) {
  EXPECT_EQ(percent_decode_path("/100%"), "/100%");
  EXPECT_EQ(percent_decode_path("/%zz%4"), "/%zz%4");
}

TEST(ScopeBuilder, SplitsPathAndQueryIncludingAbsoluteForm) {
  std::string_view path, query;
  split_target("/a?b=1&c", path, query);
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "b=1&c");
  split_target("http://example.com/x/y?z", path, query);
  EXPECT_EQ(path, "/x/y");
  EXPECT_EQ(query, "z");
  split_target("/frag#part", path, query);
  EXPECT_EQ(path, "/frag");
  EXPECT_EQ(query, "");
}

TEST(ScopeBuilder, BuildsAnAsgiHttpScope) {
  RequestHead h = head_for("/caf%C3%A9?q=%20x",
                           {{"host", "example.com"}, {"x-dup", "1"}, {"x-dup", "2"}});
  h.method = "POST";
  ConnectionInfo conn = tcp_conn();
  ClientView client = apply_proxy_headers(conn, h.headers, ProxyPolicy{});
  Value scope = build_http_scope(h, conn, client, "/root");
  EXPECT_EQ(scope["type"], Value("http"));
  EXPECT_EQ(scope["asgi"]["version"], Value("3.0"));
  EXPECT_TRUE(scope["asgi"]["spec_version"].is_string());
  EXPECT_EQ(scope["http_version"], Value("1.1"));
  EXPECT_EQ(scope["method"], Value("POST"));
  EXPECT_EQ(scope["scheme"], Value("http"));
  EXPECT_EQ(scope["path"], Value("/caf\xC3\xA9"));
  EXPECT_EQ(scope["raw_path"], Value(Bytes{"/caf%C3%A9"}));
  EXPECT_EQ(scope["query_string"], Value(Bytes{"q=%20x"}));
  EXPECT_EQ(scope["root_path"], Value("/root"));
  const Value& headers = scope["headers"];
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0][0], Value(Bytes{"host"}));
  EXPECT_EQ(headers[1][1], Value(Bytes{"1"}));
  EXPECT_EQ(headers[2][0], Value(Bytes{"x-dup"}));
  EXPECT_EQ(headers[2][1], Value(Bytes{"2"}));
  EXPECT_EQ(scope["client"], Value::list({Value("10.0.0.7"), Value(51234)}));
  EXPECT_EQ(scope["server"], Value::list({Value("127.0.0.1"), Value(8000)}));
}

TEST(ScopeBuilder, ScopesShareTheirRepeatedPartsButAWriteStaysInItsOwnScope) {
  // asgi, server and extensions are shared between connections (every idle socket keeps its
  // scope); long well-known header names point at literals. None of it may leak between scopes.
  ConnectionInfo conn = tcp_conn();
  RequestHead h1 = head_for("/ws/", {{"sec-websocket-version", "13"}, {"x-long-custom-header", "a"}});
  RequestHead h2 = head_for("/ws/", {{"sec-websocket-version", "13"}});
  Value first = build_websocket_scope(h1, conn, apply_proxy_headers(conn, h1.headers, {}), "", {});
  Value second = build_websocket_scope(h2, conn, apply_proxy_headers(conn, h2.headers, {}), "", {});
  EXPECT_EQ(first["asgi"], second["asgi"]);
  EXPECT_EQ(first["server"], second["server"]);
  EXPECT_EQ(first["extensions"], Value({{"websocket.http.response", Value::dict()}}));
  EXPECT_EQ(first["headers"][0][0], Value(Bytes{"sec-websocket-version"}));
  EXPECT_EQ(first["headers"][1][0], Value(Bytes{"x-long-custom-header"}));

  first["asgi"]["version"] = "changed";
  first["server"].push_back(Value("extra"));
  first["extensions"]["mine"] = true;
  Value copied_name = first["headers"][0][0];
  first = Value();  // the literal name outlives the scope it came in
  EXPECT_EQ(copied_name, Value(Bytes{"sec-websocket-version"}));
  EXPECT_EQ(second["asgi"]["version"], Value("3.0"));
  EXPECT_EQ(second["server"], Value::list({Value("127.0.0.1"), Value(8000)}));
  EXPECT_EQ(second["extensions"].size(), 1u);
  Value third = build_websocket_scope(h2, conn, apply_proxy_headers(conn, h2.headers, {}), "", {});
  EXPECT_EQ(third["asgi"]["version"], Value("3.0"));
  EXPECT_EQ(third["extensions"].size(), 1u);
}

TEST(ScopeBuilder, HeaderNamesFromTheParserArriveLowerCased) {
  struct Keep : HttpParser::Handler {
    RequestHead head;
    void on_request_head(RequestHead& h) override { head = h; }
    void on_body(std::string_view) override {}
    void on_request_complete() override {}
  } keep;
  HttpParser parser(keep, {});
  parser.feed("GET / HTTP/1.1\r\nX-MiXeD-Case: VaLuE\r\n\r\n");
  ConnectionInfo conn = tcp_conn();
  Value scope = build_http_scope(keep.head, conn, ClientView{"10.0.0.7", 1, false}, "");
  EXPECT_EQ(scope["headers"][0][0], Value(Bytes{"x-mixed-case"}));
  EXPECT_EQ(scope["headers"][0][1], Value(Bytes{"VaLuE"}));  // values keep their case
}

TEST(ScopeBuilder, UnixSocketsHaveNoServerAddress) {
  RequestHead h = head_for("/", {});
  ConnectionInfo conn;  // unix socket: no addresses
  Value scope = build_http_scope(h, conn, apply_proxy_headers(conn, {}, {}), "");
  EXPECT_TRUE(scope["server"].is_null());
  EXPECT_TRUE(scope["client"].is_null());
}

TEST(ScopeBuilder, BuildsAWebsocketScopeWithSubprotocols) {
  RequestHead h = head_for("/ws/chat/?ticket=secret", {{"host", "h"}});
  ConnectionInfo conn = tcp_conn();
  conn.tls = true;
  Value scope = build_websocket_scope(h, conn, apply_proxy_headers(conn, h.headers, {}), "",
                                      {"chat", "bearer"});
  EXPECT_EQ(scope["type"], Value("websocket"));
  EXPECT_EQ(scope["scheme"], Value("wss"));
  EXPECT_EQ(scope["path"], Value("/ws/chat/"));
  EXPECT_EQ(scope["query_string"], Value(Bytes{"ticket=secret"}));
  EXPECT_EQ(scope["subprotocols"], Value::list({Value("chat"), Value("bearer")}));
  EXPECT_FALSE(scope.contains("method"));
  // Reserved exactly: every idle socket keeps this dict, capacity slack included.
  EXPECT_EQ(scope.as_dict().capacity(), scope.as_dict().size());
}

ProxyPolicy trusting_localhost() {
  ProxyPolicy p;
  p.enabled = true;
  p.trusted = {"127.0.0.1"};
  return p;
}

TEST(ProxyHeaders, AreIgnoredFromUntrustedPeers) {
  ConnectionInfo conn = tcp_conn();  // peer 10.0.0.7 is not trusted
  asgi::Headers headers = {{"x-forwarded-for", "1.2.3.4"}, {"x-forwarded-proto", "https"}};
  ClientView v = apply_proxy_headers(conn, headers, trusting_localhost());
  EXPECT_EQ(v.host, "10.0.0.7");
  EXPECT_EQ(v.port, 51234);
  EXPECT_FALSE(v.secure);
}

TEST(ProxyHeaders, AreIgnoredWhenDisabled) {
  ConnectionInfo conn{"127.0.0.1", 40000, "127.0.0.1", 8000, false};
  ProxyPolicy policy = trusting_localhost();
  policy.enabled = false;
  ClientView v = apply_proxy_headers(conn, {{"x-forwarded-for", "1.2.3.4"}}, policy);
  EXPECT_EQ(v.host, "127.0.0.1");
}

TEST(ProxyHeaders, SetClientAndSchemeFromATrustedPeer) {
  ConnectionInfo conn{"127.0.0.1", 40000, "127.0.0.1", 8000, false};
  asgi::Headers headers = {{"x-forwarded-for", "203.0.113.9"},
                           {"x-forwarded-port", "4433"},
                           {"x-forwarded-proto", "https"}};
  ClientView v = apply_proxy_headers(conn, headers, trusting_localhost());
  EXPECT_EQ(v.host, "203.0.113.9");
  EXPECT_EQ(v.port, 4433);
  EXPECT_TRUE(v.secure);
  RequestHead h = head_for("/", headers);
  Value scope = build_http_scope(h, conn, v, "");
  EXPECT_EQ(scope["scheme"], Value("https"));
  EXPECT_EQ(scope["client"], Value::list({Value("203.0.113.9"), Value(4433)}));
}

TEST(ProxyHeaders, TakeTheRightMostAddressThatIsNotATrustedProxy) {
  ConnectionInfo conn{"127.0.0.1", 40000, "127.0.0.1", 8000, false};
  // The client forged the first entry; our proxy appended the address it really saw.
  ClientView v = apply_proxy_headers(
      conn, {{"x-forwarded-for", "6.6.6.6, 198.51.100.2, 127.0.0.1"}}, trusting_localhost());
  EXPECT_EQ(v.host, "198.51.100.2");
}

}  // namespace
}  // namespace laurel::server
