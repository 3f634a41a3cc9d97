// tests/tools/routes_command_test.cpp
// `laurel routes` end to end through its own flags: the table and warnings, --json, --match with
// its exit statuses, and the usage errors.

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <sstream>
#include <string>

#include "asgi/routing.h"
#include "route_test_apps.h"
#include "tools/cli/routes_command.h"

namespace laurel::cli {
namespace {

using asgi::path;
using asgi::re_path;

using test::Leaf;

asgi::ApplicationPtr small_app(const CliOptions&) {
  auto leaf = [](std::string n) { return std::make_shared<Leaf>(std::move(n)); };
  return std::make_shared<asgi::ProtocolTypeRouter>(asgi::ProtocolTypeRouter{
      {"http", std::make_shared<asgi::URLRouter>(
                   asgi::URLRouter{path("chat/<str:room_name>/", leaf("RoomPage"), "room")})},
      {"websocket",
       std::make_shared<asgi::URLRouter>(asgi::URLRouter{
           re_path(R"(ws/chat/(?P<room_name>\w+)/$)", leaf("ChatConsumer"), "chat"),
           re_path(R"(ws/echo/)", leaf("EchoConsumer"), "echo"),
       })},
  });
}

struct Outcome {
  int status = -1;
  std::string out, err;
};

Outcome run_routes(const std::string& words) {
  RoutesCommand command;
  CLI::App app{"routes"};
  command.add_options(app);
  app.parse(words);
  CliOptions options;
  ProgramInfo info;
  AppFactory factory = small_app;
  std::ostringstream out, err;
  Outcome r;
  r.status = command.run(CommandContext{options, info, factory, out, err});
  r.out = out.str();
  r.err = err.str();
  return r;
}

TEST(RoutesCommand, PrintsTheTableThenTheWarnings) {
  Outcome r = run_routes("");
  EXPECT_EQ(r.status, 0) << r.err;
  auto table = r.out.find("PROTOCOL");
  auto chat = r.out.find("ChatConsumer");
  auto warnings = r.out.find("warnings:");
  ASSERT_NE(table, std::string::npos);
  ASSERT_NE(chat, std::string::npos);
  ASSERT_NE(warnings, std::string::npos) << r.out;
  EXPECT_LT(chat, warnings);
  EXPECT_NE(r.out.find("unanchored [websocket]: re_path 'ws/echo/'"), std::string::npos) << r.out;
}

TEST(RoutesCommand, JsonHasRoutesAndWarnings) {
  Outcome r = run_routes("--json");
  ASSERT_EQ(r.status, 0) << r.err;
  asgi::Value doc = asgi::Value::from_json(r.out);
  ASSERT_EQ(doc["routes"].as_list().size(), 3u);
  EXPECT_EQ(doc["routes"][0]["protocol"].as_string(), "http");
  EXPECT_EQ(doc["routes"][0]["name"].as_string(), "room");
  EXPECT_EQ(doc["routes"][1]["target"].as_string(), "ChatConsumer");
  EXPECT_TRUE(doc["routes"][1]["middleware"].is_list());
  ASSERT_EQ(doc["warnings"].as_list().size(), 1u);
  EXPECT_EQ(doc["warnings"][0]["kind"].as_string(), "unanchored");
}

TEST(RoutesCommand, MatchHitExitsZeroAndMissExitsOne) {
  Outcome hit = run_routes("--match ws /ws/chat/lobby/");
  EXPECT_EQ(hit.status, 0) << hit.err;
  EXPECT_NE(hit.out.find("{'room_name': 'lobby'}"), std::string::npos) << hit.out;

  Outcome synonym = run_routes("--match websocket /ws/chat/lobby/ --json");
  EXPECT_EQ(synonym.status, 0);
  asgi::Value doc = asgi::Value::from_json(synonym.out);
  EXPECT_EQ(doc["kwargs"]["room_name"].as_string(), "lobby");

  Outcome miss = run_routes("--match ws /ws/chat/lobby");
  EXPECT_EQ(miss.status, 1);
  EXPECT_NE(miss.out.find("no route matches"), std::string::npos) << miss.out;
  EXPECT_NE(miss.out.find("add the trailing slash"), std::string::npos) << miss.out;

  Outcome http = run_routes("--match http get /chat/lobby/?x=1");
  EXPECT_EQ(http.status, 0) << http.err;
  EXPECT_EQ(http.out.rfind("http GET /chat/lobby/\n", 0), 0u) << http.out;
}

TEST(RoutesCommand, WrongMatchWordsAreUsageErrors) {
  Outcome protocol = run_routes("--match wss /ws/");
  EXPECT_EQ(protocol.status, 2);
  EXPECT_NE(protocol.err.find("'wss' is not a protocol"), std::string::npos) << protocol.err;
  Outcome method = run_routes("--match ws GET /ws/");
  EXPECT_EQ(method.status, 2);
  EXPECT_NE(method.err.find("only http takes a method"), std::string::npos) << method.err;
  EXPECT_THROW(run_routes("--match ws"), CLI::ParseError);
}

}  // namespace
}  // namespace laurel::cli
