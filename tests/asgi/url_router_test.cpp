// Cross-check against Django Channels: tests/reference/routing_cases.json records what Channels'
// own URLRouter did with each route table and path (tools/gen_routing_cases.py regenerates it);
// laurel's URLRouter must reach the same application with the same args, kwargs and
// path_remaining, and refuse exactly the paths Channels refuses.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "asgi/loop.h"
#include "asgi/routing.h"

namespace laurel::asgi {
namespace {

struct Reached {
  std::string target;
  Scope scope;
};

class Leaf final : public Application {
 public:
  Leaf(std::string name, Reached& reached) : name_(std::move(name)), reached_(reached) {}
  struct Inst final : Instance {
    void receive(const ReceiveEvent&) override {}
  };
  std::unique_ptr<Instance> start(Scope scope, Peer&) override {
    reached_ = Reached{name_, std::move(scope)};
    return std::make_unique<Inst>();
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Reached& reached_;
};

class NullLoop final : public EventLoop {
 public:
  void post(std::function<void()> fn) override { fn(); }
  TimerPtr call_later(std::chrono::milliseconds, std::function<void()>) override { return nullptr; }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }
  void* native_handle() override { return nullptr; }
};

class RecordingPeer final : public Peer {
 public:
  SendStatus send(const SendEvent& event) override {
    sent.push_back(to_value(event));
    return SendStatus::kOk;
  }
  EventLoop& loop() override { return loop_; }
  std::vector<Value> sent;

 private:
  NullLoop loop_;
};

Value load_reference() {
  std::ifstream in(std::string(LAUREL_REFERENCE_DIR) + "/routing_cases.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return Value::from_json(text.str());
}

std::vector<Route> build_routes(const Value& entries, Reached& reached) {
  std::vector<Route> routes;
  for (const Value& e : entries.as_list()) {
    ApplicationPtr app;
    if (const Value* nested = e.find("router")) {
      app = std::make_shared<URLRouter>(build_routes(*nested, reached));
    } else {
      app = std::make_shared<Leaf>(std::string(e["target"].as_string()), reached);
    }
    Dict defaults;
    if (const Value* d = e.find("defaults"); d && d->is_dict()) defaults = d->as_dict();
    std::string name(e.get_string("name"));
    if (e["kind"].as_string() == "path") {
      routes.push_back(path(std::string(e["pattern"].as_string()), app, name, defaults));
    } else {
      routes.push_back(re_path(std::string(e["pattern"].as_string()), app, name, defaults));
    }
  }
  return routes;
}

std::string describe_case(const Value& c) {
  std::string out = std::string(c["table"].as_string()) + " " + Value(c["path"]).repr();
  if (const Value* root = c.find("root_path")) out += " root_path=" + root->repr();
  return out;
}

TEST(URLRouterReference, ReferenceFileIsPresentAndNonTrivial) {
  Value doc = load_reference();
  const List& cases = doc["cases"].as_list();
  ASSERT_GE(cases.size(), 50u);
  std::size_t matched = 0;
  for (const Value& c : cases) matched += c["match"].is_null() ? 0 : 1;
  EXPECT_GT(matched, 20u);
  EXPECT_GT(cases.size() - matched, 15u);
}

TEST(URLRouterReference, AgreesWithChannelsOnEveryCase) {
  Value doc = load_reference();
  for (const Value& c : doc["cases"].as_list()) {
    SCOPED_TRACE(describe_case(c));
    Reached reached;
    URLRouter router(build_routes(doc["tables"][std::string(c["table"].as_string())], reached));
    Scope scope{{"type", c["type"]}, {"path", c["path"]}};
    if (const Value* root = c.find("root_path")) scope["root_path"] = *root;

    RecordingPeer peer;
    std::unique_ptr<Instance> instance = router.start(scope, peer);
    const Value& expected = c["match"];
    if (expected.is_null()) {
      EXPECT_EQ(instance, nullptr);
      EXPECT_TRUE(reached.target.empty()) << "reached " << reached.target;
      ASSERT_EQ(peer.sent.size(), 1u);
      EXPECT_EQ(peer.sent[0]["type"], Value("websocket.close"));
    } else {
      EXPECT_NE(instance, nullptr);
      EXPECT_TRUE(peer.sent.empty());
      EXPECT_EQ(reached.target, expected["target"].as_string());
      if (reached.target.empty()) continue;
      EXPECT_EQ(reached.scope["url_route"]["args"], expected["args"]);
      EXPECT_EQ(reached.scope["url_route"]["kwargs"], expected["kwargs"]);
      // Same kinds too: an <int:...> kwarg is an int, not a numeric string.
      for (const auto& [key, value] : expected["kwargs"].as_dict()) {
        EXPECT_EQ(reached.scope["url_route"]["kwargs"][key].kind(), value.kind()) << key;
      }
      EXPECT_EQ(reached.scope["path_remaining"], expected["path_remaining"]);
    }

    // `laurel routes --match` must give the same answer as routing the connection.
    std::optional<RouteMatch> m =
        match_route(router, "websocket", c["path"].as_string(),
                    c.contains("root_path") ? std::string_view(c["root_path"].as_string()) : "");
    if (expected.is_null()) {
      EXPECT_FALSE(m.has_value());
    } else {
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->route.target, expected["target"].as_string());
      EXPECT_EQ(m->args, expected["args"]);
      EXPECT_EQ(m->kwargs, expected["kwargs"]);
    }
  }
}

}  // namespace
}  // namespace laurel::asgi
