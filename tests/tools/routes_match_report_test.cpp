// tests/tools/routes_match_report_test.cpp
// `laurel routes --match`: hits with their url_route and middleware, misses with the nearest
// routes, how far each got and what it wanted next.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "asgi/routing.h"
#include "route_test_apps.h"
#include "middleware/middleware.h"
#include "tools/cli/route_match_report.h"

namespace laurel::cli {
namespace {

using asgi::path;
using asgi::re_path;

using test::Leaf;

class Tag final : public middleware::ScopeMiddleware {
 public:
  Tag(asgi::ApplicationPtr inner, std::string name)
      : ScopeMiddleware(std::move(inner)), name_(std::move(name)) {}
  std::string name() const override { return name_; }

 private:
  std::optional<middleware::Denial> process(asgi::Scope&) const override { return std::nullopt; }
  std::string name_;
};

asgi::ApplicationPtr leaf(std::string name) { return std::make_shared<Leaf>(std::move(name)); }

asgi::ApplicationPtr chat_like_app() {
  auto api = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      path("items/<int:id>/", leaf("ItemConsumer"), "item"),
  });
  auto ws = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      re_path(R"(ws/chat/(?P<room_name>\w+)/$)", leaf("ChatConsumer"), "chat"),
      re_path(R"(ws/echo/$)", leaf("EchoConsumer"), "echo"),
      path("api/", api),
  });
  auto http = std::make_shared<asgi::URLRouter>(asgi::URLRouter{
      path("", leaf("LobbyPage"), "index"),
      path("chat/<str:room_name>/", leaf("RoomPage"), "room"),
  });
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"http", http},
      {"websocket", std::make_shared<Tag>(std::make_shared<Tag>(ws, "InnerMiddleware"),
                                          "OuterMiddleware")},
  });
}

MatchReport report_for(std::string protocol, std::string path, std::string method = {}) {
  static const asgi::ApplicationPtr app = chat_like_app();
  return match_request(*app, MatchQuery{std::move(protocol), std::move(method), std::move(path)});
}

TEST(RoutesMatch, WsAndWebsocketAreTheSameProtocol) {
  EXPECT_EQ(normalize_protocol("ws"), "websocket");
  EXPECT_EQ(normalize_protocol("websocket"), "websocket");
  EXPECT_EQ(normalize_protocol("http"), "http");
  EXPECT_EQ(normalize_protocol("wss"), std::nullopt);
}

TEST(RoutesMatch, HitGivesKwargsAndMiddlewareOutermostFirst) {
  MatchReport r = report_for("websocket", "/ws/chat/lobby/");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->route.name, "chat");
  EXPECT_EQ(r.match->route.target, "ChatConsumer");
  EXPECT_EQ(r.match->kwargs["room_name"].as_string(), "lobby");
  EXPECT_TRUE(r.match->args.as_list().empty());
  ASSERT_EQ(r.match->route.middleware.size(), 2u);
  EXPECT_EQ(r.match->route.middleware[0], "OuterMiddleware");
  EXPECT_EQ(r.match->route.middleware[1], "InnerMiddleware");

  std::string text = format_match_report(r);
  EXPECT_NE(text.find("{'room_name': 'lobby'}"), std::string::npos) << text;
  auto outer = text.find("1. OuterMiddleware"), inner = text.find("2. InnerMiddleware");
  ASSERT_NE(outer, std::string::npos) << text;
  ASSERT_NE(inner, std::string::npos) << text;
  EXPECT_LT(outer, inner);
  EXPECT_LT(inner, text.find("-> ChatConsumer"));
}

TEST(RoutesMatch, NestedRouterHitJoinsPatternsAndConvertsInts) {
  MatchReport r = report_for("websocket", "/api/items/7/");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->route.pattern, "api/items/<int:id>/");
  EXPECT_EQ(r.match->kwargs["id"].as_int(), 7);
}

TEST(RoutesMatch, HttpMethodIsReportedAndPathRoutes) {
  MatchReport r = report_for("http", "/chat/lobby/", "GET");
  ASSERT_TRUE(r.match);
  EXPECT_EQ(r.match->route.target, "RoomPage");
  EXPECT_EQ(format_match_report(r).rfind("http GET /chat/lobby/", 0), 0u);
}

TEST(RoutesMatch, MissingTrailingSlashIsNamedWithTheFix) {
  MatchReport r = report_for("websocket", "/ws/chat/lobby");
  ASSERT_FALSE(r.match);
  ASSERT_FALSE(r.nearest.empty());
  const NearestRoute& best = r.nearest[0];
  EXPECT_EQ(best.route.name, "chat");
  EXPECT_EQ(best.matched_prefix, "/ws/chat/lobby");
  EXPECT_EQ(best.rest, "");
  EXPECT_NE(best.expected.find("'/'"), std::string::npos) << best.expected;
  EXPECT_EQ(best.hint, "add the trailing slash: /ws/chat/lobby/ matches this route");
  ASSERT_FALSE(r.hints.empty());
  EXPECT_NE(r.hints[0].find("/ws/chat/lobby/ goes to route \"chat\""), std::string::npos)
      << r.hints[0];

  std::string text = format_match_report(r);
  EXPECT_NE(text.find("no route matches"), std::string::npos);
  // The caret sits under the end of the path, where the slash is missing.
  std::string path_line = "    /ws/chat/lobby\n";
  auto at = text.find(path_line);
  ASSERT_NE(at, std::string::npos) << text;
  std::string caret_line = text.substr(at + path_line.size());
  EXPECT_EQ(caret_line.find('^'), 4 + std::string("/ws/chat/lobby").size()) << text;
}

TEST(RoutesMatch, ExtraTextAfterAnAnchoredPatternIsShownAsTheRest) {
  MatchReport r = report_for("websocket", "/ws/echo/more");
  ASSERT_FALSE(r.match);
  ASSERT_FALSE(r.nearest.empty());
  EXPECT_EQ(r.nearest[0].route.name, "echo");
  EXPECT_EQ(r.nearest[0].matched_prefix, "/ws/echo/");
  EXPECT_EQ(r.nearest[0].rest, "more");
  EXPECT_EQ(r.nearest[0].expected, "the end of the path");
}

TEST(RoutesMatch, NearestRoutesAreRankedByHowFarTheyGet) {
  MatchReport r = report_for("websocket", "/ws/chot/x/");
  ASSERT_FALSE(r.match);
  ASSERT_GE(r.nearest.size(), 2u);
  EXPECT_EQ(r.nearest[0].route.name, "chat");
  EXPECT_EQ(r.nearest[0].matched_prefix, "/ws/ch");
  EXPECT_EQ(r.nearest[0].expected, "'a'");
  EXPECT_EQ(r.nearest[0].rest, "ot/x/");
  EXPECT_EQ(r.nearest[1].route.name, "echo");
  EXPECT_EQ(r.nearest[1].matched_prefix, "/ws/");
  EXPECT_LE(r.nearest.size(), MatchReport::kMaxNearest);
}

TEST(RoutesMatch, NestedMissPointsInsideTheInnerPattern) {
  MatchReport r = report_for("websocket", "/api/items/abc/");
  ASSERT_FALSE(r.match);
  ASSERT_FALSE(r.nearest.empty());
  EXPECT_EQ(r.nearest[0].route.name, "item");
  EXPECT_EQ(r.nearest[0].matched_prefix, "/api/items/");
  EXPECT_EQ(r.nearest[0].expected, "a digit");
}

TEST(RoutesMatch, PathOfTheOtherProtocolIsPointedOut) {
  MatchReport r = report_for("http", "/ws/echo/");
  ASSERT_FALSE(r.match);
  bool named = false;
  for (const auto& hint : r.hints) {
    named = named || hint.find("a websocket route takes this path") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

TEST(RoutesMatch, JsonCarriesHitAndMiss) {
  asgi::Value h =
      asgi::Value::from_json(match_report_json(report_for("websocket", "/ws/chat/a/")).to_json());
  EXPECT_TRUE(h["matched"].as_bool());
  EXPECT_EQ(h["kwargs"]["room_name"].as_string(), "a");
  EXPECT_EQ(h["route"]["middleware"][0].as_string(), "OuterMiddleware");

  asgi::Value m =
      asgi::Value::from_json(match_report_json(report_for("websocket", "/ws/chat/a")).to_json());
  EXPECT_FALSE(m["matched"].as_bool());
  EXPECT_EQ(m["nearest"][0]["route"]["name"].as_string(), "chat");
  EXPECT_EQ(m["nearest"][0]["matched_prefix"].as_string(), "/ws/chat/a");
  EXPECT_TRUE(m["nearest"][0].contains("hint"));
}

}  // namespace
}  // namespace laurel::cli
