// tests/middleware/auth_flow_support.h
#pragma once

// A user database in memory with one user (alice), an AuthConfig on a settable clock, an
// in-memory channel layer, and a consumer that reports who it thinks it is talking to.

#include <cmath>
#include <memory>
#include <string>

#include "asgi/value.h"
#include "auth/auth_config.h"
#include "auth/jwt.h"
#include "auth/session_store.h"
#include "auth/signing.h"
#include "auth/sqlite_user_store.h"
#include "channel_layer/default_layer.h"
#include "channel_layer/in_memory_layer.h"
#include "consumers/websocket_consumer.h"
#include "middleware/auth_middleware.h"
#include "testing/testing.h"
#include "testing/scope_for_test.h"

namespace laurel::testing {

inline constexpr const char* kAlicePassword = "correct horse battery staple";

struct AuthWorld {
  double now = std::floor(auth::unix_now()) + 0.25;
  std::shared_ptr<auth::SqliteUserStore> store;
  std::shared_ptr<auth::AuthConfig> config;
  auth::UserPtr alice;
  channel_layer::ChannelLayerPtr previous_layer;
  channel_layer::ChannelLayerPtr layer;

  AuthWorld() {
    auth::SqliteUserStore::Options options;
    options.create_schema = true;
    store = std::make_shared<auth::SqliteUserStore>(":memory:", options);
    config = std::make_shared<auth::AuthConfig>();
    config->users = std::make_shared<auth::AsyncUserStore>(store);
    config->keys.secret_key = "laurel-test-secret-key";
    config->refresh_tokens = std::make_shared<auth::RefreshTokenStore>(":memory:");
    config->policy.pbkdf2_iterations = 1000;  // fast tests; production keeps Django's count
    config->clock = [this] { return now; };
    alice = store->create_user(
        auth::NewUser{"alice", auth::make_password(kAlicePassword, config->policy)});
    layer = std::make_shared<channel_layer::InMemoryChannelLayer>();
    previous_layer = channel_layer::set_default_layer(layer);
  }
  ~AuthWorld() { channel_layer::set_default_layer(previous_layer); }

  std::string access_token(std::int64_t lifetime = 300) const {
    return auth::make_token("access", auth::Json(alice->id), static_cast<std::int64_t>(now),
                            lifetime, config->signing_key());
  }
  // A django_session row logged in as alice, as Django's login() writes it; returns its key.
  std::string session_for_alice() {
    auth::SessionData data = auth::SessionData::object();
    auth::set_session_user(data, alice->id, alice->password, config->keys);
    std::string key = auth::new_session_key();
    store->create_session(key, auth::encode_session(data, config->keys, now),
                          auth::timestamp_from_unix(now + 3600));
    return key;
  }
};

// Accepts (no subprotocol of its own) and answers every text frame with what it sees:
// {"user": username or "", "method": scope auth method, "subprotocols": [...], "echo": text}.
class WhoAmIConsumer : public consumers::WebsocketConsumer {
 public:
  Task<void> receive(std::string_view text) override {
    auto user = middleware::user_of(scope());
    const asgi::Value* auth = scope().find("auth");
    const asgi::Value* offered = scope().find("subprotocols");
    asgi::Value out{{"user", user->is_authenticated() ? user->username : std::string()},
                    {"method", auth ? std::string(auth->get_string("method")) : std::string()},
                    {"subprotocols", offered ? *offered : asgi::Value::list()},
                    {"echo", std::string(text)}};
    send(out.to_json());
    co_return;
  }
};

// The header of a recorded denial ({"type": "websocket.http.response.start", "headers": ...}).
inline std::string header_in(const asgi::Value& response, std::string_view name) {
  for (const auto& pair : response["headers"].as_list()) {
    if (pair[0].as_bytes() == name) return std::string(pair[1].as_bytes());
  }
  return {};
}

// Runs one handshake by hand and returns everything the application sent until it accepted or
// finished denying ({"type": "websocket.http.response.start", "status": ..., "headers": ...}
// then the body), so tests can read denial headers.
inline std::vector<asgi::Value> handshake(const asgi::ApplicationPtr& app, asgi::Scope scope) {
  auto& loop = default_loop();
  RecordingPeer peer(loop);
  std::unique_ptr<asgi::Instance> instance;
  {
    ScopedCurrentLoop current(loop);
    instance = app->start(std::move(scope), peer);
    if (instance) instance->receive(asgi::WebsocketConnect{});
  }
  run_until(loop, [&] {
    for (const auto& out : peer.outputs()) {
      auto type = out.get_string("type");
      if (type == "websocket.accept" || type == "websocket.close") return true;
      if (type == "websocket.http.response.body") return true;
    }
    return false;
  });
  std::vector<asgi::Value> outputs(peer.outputs().begin(), peer.outputs().end());
  {
    ScopedCurrentLoop current(loop);
    if (instance) instance->receive(asgi::WebsocketDisconnect{1006, {}});
    instance.reset();
  }
  run_ready(loop);
  return outputs;
}

inline asgi::Scope ws_scope(std::string_view target, const asgi::Headers& headers = {},
                            std::vector<std::string> subprotocols = {}) {
  asgi::Scope scope = make_scope("websocket", target, headers);
  asgi::List offered;
  for (auto& s : subprotocols) offered.emplace_back(std::move(s));
  scope["subprotocols"] = asgi::Value(std::move(offered));
  return scope;
}

}  // namespace laurel::testing
