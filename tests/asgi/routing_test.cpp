// Routers: ProtocolTypeRouter, URLRouter (re_path/path, nesting, url_route, refusals),
// ChannelNameRouter, the route table and route matching.

#include "asgi/routing.h"

#include <gtest/gtest.h>

#include "asgi/loop.h"

namespace laurel::asgi {
namespace {

class FakeLoop final : public EventLoop {
 public:
  void post(std::function<void()> fn) override { fn(); }
  TimerPtr call_later(std::chrono::milliseconds, std::function<void()>) override { return nullptr; }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }
  void* native_handle() override { return nullptr; }
};

class FakePeer final : public Peer {
 public:
  SendStatus send(const SendEvent& event) override {
    sent.push_back(to_value(event));
    return SendStatus::kOk;
  }
  EventLoop& loop() override { return loop_; }
  std::vector<Value> sent;

 private:
  FakeLoop loop_;
};

// A leaf application that remembers the scope it was started with.
class Recorder final : public Application {
 public:
  explicit Recorder(std::string name) : name_(std::move(name)) {}
  struct Inst final : Instance {
    void receive(const ReceiveEvent&) override {}
  };
  std::unique_ptr<Instance> start(Scope scope, Peer&) override {
    ++starts;
    last_scope = std::move(scope);
    return std::make_unique<Inst>();
  }
  std::string name() const override { return name_; }
  int starts = 0;
  Scope last_scope;

 private:
  std::string name_;
};

// A middleware-like wrapper, to check that describe/match carry the stack through.
class Wrapper final : public Application {
 public:
  explicit Wrapper(ApplicationPtr inner) : inner_(std::move(inner)) {}
  std::unique_ptr<Instance> start(Scope scope, Peer& peer) override {
    return inner_->start(std::move(scope), peer);
  }
  void describe(std::vector<RouteDescription>& out,
                const RouteDescription& context) const override {
    RouteDescription inner = context;
    inner.middleware.push_back(name());
    inner_->describe(out, inner);
  }
  bool match(const Scope& scope, const RouteDescription& context, RouteMatch& out) const override {
    RouteDescription inner = context;
    inner.middleware.push_back(name());
    return inner_->match(scope, inner, out);
  }
  std::string name() const override { return "AuthMiddleware"; }

 private:
  ApplicationPtr inner_;
};

Scope ws_scope(std::string path) { return Scope{{"type", "websocket"}, {"path", std::move(path)}}; }
Scope http_scope(std::string path) { return Scope{{"type", "http"}, {"path", std::move(path)}}; }

TEST(ProtocolTypeRouter, DispatchesOnScopeType) {
  auto http = std::make_shared<Recorder>("HttpApp");
  auto ws = std::make_shared<Recorder>("WsApp");
  ProtocolTypeRouter router{{"http", http}, {"websocket", ws}};
  FakePeer peer;
  EXPECT_NE(router.start(ws_scope("/x"), peer), nullptr);
  EXPECT_EQ(ws->starts, 1);
  EXPECT_EQ(http->starts, 0);
  EXPECT_NE(router.start(http_scope("/x"), peer), nullptr);
  EXPECT_EQ(http->starts, 1);
}

TEST(ProtocolTypeRouter, UnknownTypeIsAClearError) {
  ProtocolTypeRouter router{{"http", std::make_shared<Recorder>("A")}};
  FakePeer peer;
  try {
    (void)router.start(ws_scope("/"), peer);
    FAIL();
  } catch (const RoutingError& e) {
    EXPECT_NE(std::string(e.what()).find("'websocket'"), std::string::npos) << e.what();
  }
}

TEST(URLRouter, NamedGroupsBecomeKwargs) {
  auto chat = std::make_shared<Recorder>("ChatConsumer");
  URLRouter router{re_path(R"(ws/chat/(?P<room_name>\w+)/$)", chat, "chat")};
  FakePeer peer;
  ASSERT_NE(router.start(ws_scope("/ws/chat/lobby/"), peer), nullptr);
  const Value& route = chat->last_scope["url_route"];
  EXPECT_EQ(route["kwargs"], Value({{"room_name", "lobby"}}));
  EXPECT_EQ(route["args"], Value::list());
  EXPECT_EQ(chat->last_scope["path_remaining"], Value(""));
  EXPECT_EQ(chat->last_scope["path"], Value("/ws/chat/lobby/"));  // the original stays
}

TEST(URLRouter, UnnamedGroupsBecomeArgsOnlyWithoutNamedGroups) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{re_path(R"(^a/(\d+)/(x)?$)", app), re_path(R"(^b/(\d+)/(?P<k>\w+)$)", app)};
  FakePeer peer;
  ASSERT_NE(router.start(ws_scope("/a/12/"), peer), nullptr);
  EXPECT_EQ(app->last_scope["url_route"]["args"], Value::list({"12", Value()}));
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"], Value::dict());
  ASSERT_NE(router.start(ws_scope("/b/7/z"), peer), nullptr);
  EXPECT_EQ(app->last_scope["url_route"]["args"], Value::list());
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"], Value({{"k", "z"}}));
}

TEST(URLRouter, PathConvertersGiveTypedKwargs) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{path("ws/<int:id>/<slug:s>/<uuid:u>/<path:rest>", app)};
  FakePeer peer;
  ASSERT_NE(router.start(ws_scope("/ws/42/a-b_c/12345678-1234-5678-1234-567812345678/x/y"), peer),
            nullptr);
  const Value& kwargs = app->last_scope["url_route"]["kwargs"];
  EXPECT_TRUE(kwargs["id"].is_int());
  EXPECT_EQ(kwargs["id"].as_int(), 42);
  EXPECT_EQ(kwargs["s"], Value("a-b_c"));
  EXPECT_EQ(kwargs["u"], Value("12345678-1234-5678-1234-567812345678"));
  EXPECT_EQ(kwargs["rest"], Value("x/y"));
}

TEST(URLRouter, PathRoutesAreAnchoredAtBothEndsForEndpoints) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{path("ws/<str:name>/", app)};
  FakePeer peer;
  EXPECT_EQ(router.start(ws_scope("/ws/a/extra"), peer), nullptr);
  EXPECT_EQ(router.start(ws_scope("/x/ws/a/"), peer), nullptr);
  EXPECT_NE(router.start(ws_scope("/ws/a/"), peer), nullptr);
}

TEST(URLRouter, AnIntTooBigForInt64DoesNotMatch) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{path("n/<int:id>/", app)};
  FakePeer peer;
  EXPECT_EQ(router.start(ws_scope("/n/99999999999999999999/"), peer), nullptr);
  EXPECT_EQ(app->starts, 0);
}

TEST(URLRouter, NestedRoutersConsumeThePrefixAndMergeUrlRoute) {
  auto leaf = std::make_shared<Recorder>("Leaf");
  URLRouter router{re_path(R"(^(\d+)/)", URLRouter{path("v/<int:id>/", leaf)}),
                   path("api/<str:ver>/", URLRouter{path("items/<int:id>/", leaf)})};
  FakePeer peer;
  ASSERT_NE(router.start(http_scope("/api/v2/items/5/"), peer), nullptr);
  EXPECT_EQ(leaf->last_scope["url_route"]["kwargs"], Value({{"ver", "v2"}, {"id", 5}}));
  EXPECT_EQ(leaf->last_scope["path_remaining"], Value(""));
  // What a connection keeps is sized exactly, through both routers.
  const Dict& kept = leaf->last_scope.as_dict();
  EXPECT_EQ(kept.capacity(), kept.size());
  const Dict& url_route = kept.at("url_route").as_dict();
  EXPECT_EQ(url_route.capacity(), url_route.size());
  EXPECT_EQ(url_route.at("kwargs").as_dict().capacity(), 2u);
  ASSERT_NE(router.start(http_scope("/12/v/3/"), peer), nullptr);
  EXPECT_EQ(leaf->last_scope["url_route"]["args"], Value::list({"12"}));
  EXPECT_EQ(leaf->last_scope["url_route"]["kwargs"], Value({{"id", 3}}));
}

TEST(URLRouter, ANestedMissFallsThroughToTheNextRoute) {
  auto first = std::make_shared<Recorder>("First");
  auto second = std::make_shared<Recorder>("Second");
  URLRouter router{path("api/", URLRouter{path("one/", first)}), path("api/two/", second)};
  FakePeer peer;
  ASSERT_NE(router.start(ws_scope("/api/two/"), peer), nullptr);
  EXPECT_EQ(second->starts, 1);
  EXPECT_TRUE(peer.sent.empty());
}

TEST(URLRouter, NoMatchAnswersHttpWith404) {
  URLRouter router{path("a/", std::make_shared<Recorder>("A"))};
  FakePeer peer;
  EXPECT_EQ(router.start(http_scope("/nope/"), peer), nullptr);
  ASSERT_EQ(peer.sent.size(), 2u);
  EXPECT_EQ(peer.sent[0]["type"], Value("http.response.start"));
  EXPECT_EQ(peer.sent[0]["status"].as_int(), 404);
  EXPECT_EQ(peer.sent[1]["type"], Value("http.response.body"));
  EXPECT_FALSE(peer.sent[1]["more_body"].as_bool());
  EXPECT_GT(peer.sent[1]["body"].size(), 0u);
}

TEST(URLRouter, NoMatchDeniesTheWebsocketHandshake) {
  URLRouter router{path("a/", std::make_shared<Recorder>("A"))};
  FakePeer peer;
  EXPECT_EQ(router.start(ws_scope("/nope/"), peer), nullptr);
  ASSERT_EQ(peer.sent.size(), 1u);
  EXPECT_EQ(peer.sent[0]["type"], Value("websocket.close"));
}

TEST(URLRouter, ANestedRouterThatMissesThrowsRouteNotFound) {
  URLRouter inner{path("a/", std::make_shared<Recorder>("A"))};
  FakePeer peer;
  Scope scope = ws_scope("/x/b/");
  scope["path_remaining"] = "b/";
  EXPECT_THROW((void)inner.start(scope, peer), RouteNotFound);
  EXPECT_TRUE(peer.sent.empty());
}

TEST(URLRouter, StripsRootPathAndLeadingSlashes) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{path("ws/<int:id>/", app)};
  FakePeer peer;
  Scope scope = ws_scope("/prefix/ws/3/");
  scope["root_path"] = "/prefix";
  ASSERT_NE(router.start(scope, peer), nullptr);
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"]["id"].as_int(), 3);
  ASSERT_NE(router.start(ws_scope("///ws/4/"), peer), nullptr);
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"]["id"].as_int(), 4);
  Scope outside = ws_scope("/other/ws/3/");
  outside["root_path"] = "/prefix";
  EXPECT_EQ(router.start(outside, peer), nullptr);
  EXPECT_EQ(peer.sent.back()["type"], Value("websocket.close"));
}

TEST(URLRouter, DefaultsAreMergedAfterCapturedKwargs) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{path("x/<str:mode>/", app, "x", Dict{{"mode", "forced"}, {"extra", 1}})};
  FakePeer peer;
  ASSERT_NE(router.start(ws_scope("/x/given/"), peer), nullptr);
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"], Value({{"mode", "forced"}, {"extra", 1}}));
}

TEST(URLRouter, ScopeWithoutPathIsAnError) {
  URLRouter router{path("a/", std::make_shared<Recorder>("A"))};
  FakePeer peer;
  EXPECT_THROW((void)router.start(Scope{{"type", "websocket"}}, peer), RoutingError);
}

TEST(URLRouter, PythonRegexSemantics) {
  auto app = std::make_shared<Recorder>("A");
  URLRouter router{re_path(R"(^end\Z)", app), re_path(R"(^uni/(?P<w>\w+)/)", app)};
  FakePeer peer;
  EXPECT_EQ(router.start(ws_scope("/end\n"), peer), nullptr);  // \Z: the very end only
  EXPECT_NE(router.start(ws_scope("/end"), peer), nullptr);
  ASSERT_NE(router.start(ws_scope("/uni/héllo/"), peer), nullptr);  // \w is Unicode-aware
  EXPECT_EQ(app->last_scope["url_route"]["kwargs"]["w"], Value("héllo"));
}

TEST(URLRouter, InvalidPatternsThrowAtConstructionNamingThePattern) {
  auto app = std::make_shared<Recorder>("A");
  auto message = [&](auto make) -> std::string {
    try {
      make();
    } catch (const ImproperlyConfigured& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message([&] { (void)re_path("ws/(unclosed", app); }).find("ws/(unclosed"),
            std::string::npos);
  EXPECT_NE(message([&] { (void)path("ws/<bogus:x>/", app); }).find("ws/<bogus:x>/"),
            std::string::npos);
  EXPECT_NE(message([&] { (void)path("ws/<int:1x>/", app); }).find("ws/<int:1x>/"),
            std::string::npos);
  EXPECT_NE(message([&] { (void)path("ws/<int: x>/", app); }).find("whitespace"),
            std::string::npos);
}

TEST(URLRouter, ARouteWithoutAnApplicationIsRefusedAtConstruction) {
  EXPECT_THROW((void)path("a/", ApplicationPtr()), ImproperlyConfigured);
  EXPECT_THROW((void)re_path("a/", ApplicationPtr()), ImproperlyConfigured);
  EXPECT_THROW((ProtocolTypeRouter{{"http", nullptr}}), ImproperlyConfigured);
}

TEST(ChannelNameRouter, DispatchesOnChannelName) {
  auto thumbs = std::make_shared<Recorder>("ThumbnailWorker");
  ChannelNameRouter router{{"thumbnails-generate", thumbs}};
  FakePeer peer;
  EXPECT_NE(router.start(Scope{{"type", "channel"}, {"channel", "thumbnails-generate"}}, peer),
            nullptr);
  EXPECT_EQ(thumbs->starts, 1);
  EXPECT_THROW((void)router.start(Scope{{"type", "channel"}, {"channel", "other"}}, peer),
               RoutingError);
  EXPECT_THROW((void)router.start(Scope{{"type", "channel"}}, peer), RoutingError);
  EXPECT_EQ(router.channels(), std::vector<std::string>{"thumbnails-generate"});
}

ProtocolTypeRouter demo_application() {
  auto chat = std::make_shared<Recorder>("ChatConsumer");
  auto echo = std::make_shared<Recorder>("EchoConsumer");
  auto pages = std::make_shared<Recorder>("PageView");
  return ProtocolTypeRouter{
      {"http", std::make_shared<URLRouter>(URLRouter{path("chat/<str:room>/", pages, "room")})},
      {"websocket", std::make_shared<Wrapper>(std::make_shared<URLRouter>(URLRouter{
                        path("ws/", URLRouter{re_path(R"(chat/(?P<room_name>\w+)/$)", chat, "chat"),
                                              path("echo/", echo, "echo")})}))},
      {"channel", std::make_shared<ChannelNameRouter>(
                      ChannelNameRouter{{"thumbnails", std::make_shared<Recorder>("Worker")}})}};
}

TEST(Routing, DescribeListsTheFullRouteTable) {
  ProtocolTypeRouter app = demo_application();
  std::vector<RouteDescription> rows = describe_routes(app);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].protocol, "channel");
  EXPECT_EQ(rows[0].pattern, "thumbnails");
  EXPECT_EQ(rows[0].target, "Worker");
  EXPECT_EQ(rows[1].protocol, "http");
  EXPECT_EQ(rows[1].pattern, "chat/<str:room>/");
  EXPECT_EQ(rows[1].name, "room");
  EXPECT_EQ(rows[1].target, "PageView");
  EXPECT_TRUE(rows[1].middleware.empty());
  EXPECT_EQ(rows[2].protocol, "websocket");
  EXPECT_EQ(rows[2].pattern, R"(ws/chat/(?P<room_name>\w+)/$)");
  EXPECT_EQ(rows[2].name, "chat");
  EXPECT_EQ(rows[2].target, "ChatConsumer");
  EXPECT_EQ(rows[2].middleware, std::vector<std::string>{"AuthMiddleware"});
  EXPECT_EQ(rows[3].pattern, "ws/echo/");
  EXPECT_EQ(rows[3].target, "EchoConsumer");
}

TEST(Routing, MatchFindsTheRouteArgsAndKwargs) {
  ProtocolTypeRouter app = demo_application();
  auto m = match_route(app, "ws", "/ws/chat/lobby/");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route.protocol, "websocket");
  EXPECT_EQ(m->route.pattern, R"(ws/chat/(?P<room_name>\w+)/$)");
  EXPECT_EQ(m->route.name, "chat");
  EXPECT_EQ(m->route.target, "ChatConsumer");
  EXPECT_EQ(m->route.middleware, std::vector<std::string>{"AuthMiddleware"});
  EXPECT_EQ(m->kwargs, Value({{"room_name", "lobby"}}));
  EXPECT_EQ(m->args, Value::list());

  auto echo = match_route(app, "websocket", "/ws/echo/");
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->route.target, "EchoConsumer");
  auto worker = match_route(app, "channel", "thumbnails");
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(worker->route.target, "Worker");
}

TEST(Routing, MatchReportsNothingWhenNoRouteFits) {
  ProtocolTypeRouter app = demo_application();
  EXPECT_FALSE(match_route(app, "ws", "/ws/nothing/").has_value());
  EXPECT_FALSE(match_route(app, "http", "/ws/echo/").has_value());
  EXPECT_FALSE(match_route(app, "lifespan", "/").has_value());
  EXPECT_FALSE(match_route(app, "channel", "unknown").has_value());
}

}  // namespace
}  // namespace laurel::asgi
