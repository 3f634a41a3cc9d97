// tests/tools/routes_warnings_test.cpp
// The route-table warnings: a route hidden by an earlier one (same pattern, or an earlier pattern
// with no end anchor), a re_path() without '$', two routes with one name. Each on a small
// application, with the routers themselves confirming what the warning claims.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "asgi/routing.h"
#include "route_test_apps.h"
#include "tools/cli/route_literal_prefix.h"
#include "tools/cli/route_walk.h"
#include "tools/cli/route_warnings.h"

namespace laurel::cli {
namespace {

using asgi::path;
using asgi::re_path;
using Kind = RouteWarning::Kind;

using test::Leaf;

asgi::ApplicationPtr leaf(std::string name) { return std::make_shared<Leaf>(std::move(name)); }

asgi::ApplicationPtr websocket(std::vector<asgi::Route> routes) {
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"websocket", std::make_shared<asgi::URLRouter>(std::move(routes))},
  });
}

std::vector<RouteWarning> warnings_of(const asgi::Application& app) {
  return find_route_warnings(walk_routes(app));
}

std::vector<RouteWarning> of_kind(const std::vector<RouteWarning>& all, Kind kind) {
  std::vector<RouteWarning> out;
  for (const auto& w : all) {
    if (w.kind == kind) out.push_back(w);
  }
  return out;
}

TEST(RouteWarnings, WalkGivesTheSameRowsAsDescribe) {
  auto inner = std::make_shared<asgi::URLRouter>(asgi::URLRouter{path("b/<int:n>/", leaf("B"))});
  auto app = websocket({re_path(R"(^a/$)", leaf("A"), "a"), path("nest/", inner)});
  std::vector<asgi::RouteDescription> described;
  app->describe(described, asgi::RouteDescription{});
  std::vector<RouteChain> chains = walk_routes(*app);
  ASSERT_EQ(chains.size(), described.size());
  for (std::size_t i = 0; i < chains.size(); ++i) {
    EXPECT_EQ(chains[i].row.pattern, described[i].pattern);
    EXPECT_EQ(chains[i].row.target, described[i].target);
    EXPECT_EQ(chains[i].row.protocol, described[i].protocol);
  }
  EXPECT_EQ(chains[1].levels.size(), 2u);
}

TEST(RouteWarnings, ExactDuplicatePatternShadowsTheLaterRoute) {
  auto app = websocket({re_path(R"(ws/room/$)", leaf("First"), "first"),
                        re_path(R"(ws/room/$)", leaf("Second"), "second")});
  auto shadowed = of_kind(warnings_of(*app), Kind::kShadowed);
  ASSERT_EQ(shadowed.size(), 1u);
  EXPECT_EQ(shadowed[0].route.target, "Second");
  ASSERT_TRUE(shadowed[0].other);
  EXPECT_EQ(shadowed[0].other->target, "First");
  EXPECT_NE(shadowed[0].message.find("same pattern"), std::string::npos);
  // The router agrees: the path goes to the first.
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/ws/room/")->route.target, "First");
}

TEST(RouteWarnings, EarlierUnanchoredPrefixShadowsLaterRoutes) {
  auto app = websocket({re_path(R"(^ws/)", leaf("CatchAll"), "all"),
                        path("ws/chat/<str:room>/", leaf("Chat"), "chat"),
                        re_path(R"(^ws/echo/$)", leaf("Echo"), "echo"),
                        path("other/", leaf("Other"), "other")});
  auto shadowed = of_kind(warnings_of(*app), Kind::kShadowed);
  ASSERT_EQ(shadowed.size(), 2u);
  EXPECT_EQ(shadowed[0].route.target, "Chat");
  EXPECT_EQ(shadowed[1].route.target, "Echo");
  for (const auto& w : shadowed) {
    EXPECT_EQ(w.other->target, "CatchAll");
    EXPECT_NE(w.message.find("never reached"), std::string::npos);
  }
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/ws/chat/lobby/")->route.target, "CatchAll");
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/other/")->route.target, "Other");
}

TEST(RouteWarnings, AnchoredOrDifferentEarlierRoutesShadowNothing) {
  auto app = websocket({re_path(R"(^ws/$)", leaf("Root"), "root"),
                        path("ws/<str:room>/", leaf("Str"), "str"),
                        re_path(R"(^api/)", leaf("Api"), "api"),
                        path("ws/chat/<int:n>/", leaf("Int"), "int")});
  EXPECT_TRUE(of_kind(warnings_of(*app), Kind::kShadowed).empty());
}

TEST(RouteWarnings, UnanchoredSearchedPatternShadowsOnlyWhereItIsFound) {
  // "echo/" without '^' or '$' is searched: it takes any path containing "echo/".
  auto app = websocket({re_path(R"(echo/)", leaf("Echo"), "echo"),
                        path("ws/echo/<int:n>/", leaf("Numbered"), "numbered"),
                        path("ws/chat/", leaf("Chat"), "chat")});
  auto shadowed = of_kind(warnings_of(*app), Kind::kShadowed);
  // path("ws/echo/<int:n>/") starts with "ws/echo/", which the searched pattern finds.
  ASSERT_EQ(shadowed.size(), 1u);
  EXPECT_EQ(shadowed[0].route.target, "Numbered");
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/ws/echo/3/")->route.target, "Echo");
}

TEST(RouteWarnings, RePathWithoutDollarMatchesMoreThanItNames) {
  auto app = websocket({re_path(R"(ws/echo/)", leaf("Echo"), "echo"),
                        re_path(R"(^ws/ok/$)", leaf("Ok"), "ok"),
                        path("ws/path/", leaf("Path"), "path")});
  auto unanchored = of_kind(warnings_of(*app), Kind::kUnanchored);
  ASSERT_EQ(unanchored.size(), 1u);
  EXPECT_EQ(unanchored[0].route.target, "Echo");
  const std::string& message = unanchored[0].message;
  EXPECT_NE(message.find("/ws/echo/extra/"), std::string::npos) << message;
  EXPECT_NE(message.find("/extra/ws/echo/"), std::string::npos) << message;
  EXPECT_NE(message.find("end it with '$'"), std::string::npos) << message;
  // The examples really are routed there.
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/ws/echo/extra/")->route.target, "Echo");
  EXPECT_EQ(asgi::match_route(*app, "websocket", "/extra/ws/echo/")->route.target, "Echo");
}

TEST(RouteWarnings, PrefixOfANestedRouterNeedsNoDollar) {
  auto inner = std::make_shared<asgi::URLRouter>(asgi::URLRouter{re_path(R"(^x/$)", leaf("X"))});
  auto app = websocket({re_path(R"(^api/)", inner)});
  EXPECT_TRUE(warnings_of(*app).empty());
}

TEST(RouteWarnings, DuplicateNamesAreReportedOnTheLaterRoute) {
  auto ws = std::make_shared<asgi::URLRouter>(
      asgi::URLRouter{re_path(R"(^ws/room/$)", leaf("RoomSocket"), "room")});
  auto http = std::make_shared<asgi::URLRouter>(
      asgi::URLRouter{path("room/", leaf("RoomPage"), "room"), path("", leaf("Index"), "index")});
  auto app = std::make_shared<asgi::ProtocolTypeRouter>(
      asgi::ProtocolTypeRouter{{"http", http}, {"websocket", ws}});
  auto names = of_kind(warnings_of(*app), Kind::kDuplicateName);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].route.target, "RoomSocket");  // "http" sorts before "websocket"
  EXPECT_EQ(names[0].other->target, "RoomPage");
  EXPECT_NE(names[0].message.find("\"room\""), std::string::npos);
}

TEST(RouteWarnings, OneRouterServingTwoProtocolsIsNotADuplicate) {
  auto shared = std::make_shared<asgi::URLRouter>(
      asgi::URLRouter{re_path(R"(^ws/a/$)", leaf("A"), "a")});
  auto app = std::make_shared<asgi::ProtocolTypeRouter>(
      asgi::ProtocolTypeRouter{{"http", shared}, {"websocket", shared}});
  EXPECT_TRUE(warnings_of(*app).empty());
}

TEST(RouteWarnings, TextAndJsonNameEachKind) {
  auto app = websocket({re_path(R"(ws/a/)", leaf("A"), "dup"),
                        re_path(R"(ws/a/)", leaf("B"), "dup")});
  auto warnings = warnings_of(*app);
  std::string text = format_warnings(warnings);
  EXPECT_NE(text.find("warnings:"), std::string::npos);
  EXPECT_NE(text.find("shadowed [websocket]"), std::string::npos) << text;
  EXPECT_NE(text.find("unanchored [websocket]"), std::string::npos) << text;
  EXPECT_NE(text.find("duplicate-name [websocket]"), std::string::npos) << text;
  asgi::Value json = asgi::Value::from_json(warnings_json(warnings).to_json());
  std::vector<std::string> kinds;
  for (const auto& w : json.as_list()) kinds.push_back(std::string(w["kind"].as_string()));
  EXPECT_EQ(kinds, (std::vector<std::string>{"shadowed", "unanchored", "unanchored",
                                              "duplicate-name"}));
  EXPECT_EQ(json[0]["other"]["target"].as_string(), "A");
  EXPECT_TRUE(format_warnings({}).empty());
}

TEST(PatternShape, ReadsTheLiteralStartAndTheAnchors) {
  auto shape = [](std::string pattern, bool regex = true) {
    return pattern_shape(asgi::RoutePattern(
        std::move(pattern),
        regex ? asgi::RoutePattern::Syntax::kRegex : asgi::RoutePattern::Syntax::kPath, true));
  };
  auto chat = shape(R"(^ws/chat/(?P<room>\w+)/$)");
  EXPECT_EQ(chat.literal_prefix, "ws/chat/");
  EXPECT_TRUE(chat.anchored_start);
  EXPECT_TRUE(chat.anchored_end);
  EXPECT_EQ(shape(R"(ws/a+b)").literal_prefix, "ws/a");
  EXPECT_EQ(shape(R"(ws/ab?)").literal_prefix, "ws/a");
  EXPECT_EQ(shape(R"(ws\.x/)").literal_prefix, "ws.x/");
  EXPECT_EQ(shape(R"(a|b)").literal_prefix, std::nullopt);
  EXPECT_EQ(shape(R"([|]x)").literal_prefix, "");
  EXPECT_FALSE(shape(R"(ws/)").anchored_start);
  EXPECT_FALSE(shape(R"(ws/)").anchored_end);
  EXPECT_TRUE(shape(R"(ws/\Z)").anchored_end);
  EXPECT_FALSE(shape(R"(ws/\$)").anchored_end);
  auto route = shape("chat/<int:id>/", false);
  EXPECT_EQ(route.literal_prefix, "chat/");
  EXPECT_TRUE(route.anchored_start);
  EXPECT_TRUE(route.anchored_end);
}

}  // namespace
}  // namespace laurel::cli
