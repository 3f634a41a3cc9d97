// auth/endpoints.cpp
// The ASGI side of the auth endpoints: buffers the body, checks the method, and dispatches to
// the handler of the mounted Endpoint (auth/endpoint_handlers.h).
#include "auth/endpoints.h"

#include <cstdio>

#include "asgi/task.h"
#include "auth/endpoint_handlers.h"
#include "auth/endpoint_http.h"

namespace laurel::auth {
namespace {

using asgi::Value;
using endpoints::Request;
using endpoints::Response;
using endpoints::json_response;
// The handlers (auth/endpoint_handlers.h).
using endpoints::login;
using endpoints::logout;
using endpoints::refresh;
using endpoints::ticket;
using endpoints::token;

// Shared between the server's instance and the coroutine answering, so either may end first.
struct Exchange {
  asgi::Peer* peer = nullptr;
  bool responded = false;
};

void send(Exchange& exchange, const Response& response) {
  if (exchange.peer == nullptr || exchange.responded) return;
  exchange.responded = true;
  asgi::Headers headers = response.headers;
  headers.emplace_back("content-length", std::to_string(response.body.size()));
  exchange.peer->send(asgi::HttpResponseStart{response.status, std::move(headers)});
  exchange.peer->send(asgi::HttpResponseBody{response.body, false});
}

Task<void> answer(Endpoint which, AuthConfigPtr config, std::shared_ptr<Exchange> exchange,
                  Request request) {
  Response response;
  try {
    std::string_view method = request.scope.get_string("method");
    if (method != "POST" && !(which == Endpoint::kLogin && method == "GET")) {
      response = json_response(405, Value{{"error", "method_not_allowed"}},
                               {{"allow", which == Endpoint::kLogin ? "GET, POST" : "POST"}});
    } else {
      switch (which) {
        case Endpoint::kLogin: response = co_await login(*config, std::move(request)); break;
        case Endpoint::kLogout: response = co_await logout(*config, std::move(request)); break;
        case Endpoint::kToken: response = co_await token(*config, std::move(request)); break;
        case Endpoint::kRefresh: response = co_await refresh(*config, std::move(request)); break;
        case Endpoint::kTicket: response = co_await ticket(*config, std::move(request)); break;
      }
    }
  } catch (const std::exception& e) {
    // The message names the failure (a database error); never a credential.
    std::fprintf(stderr, "laurel: auth endpoint failed: %s\n", e.what());
    response = json_response(500, Value{{"error", "server_error"}});
  }
  send(*exchange, response);
}

class EndpointInstance final : public asgi::Instance {
 public:
  EndpointInstance(Endpoint which, AuthConfigPtr config, asgi::Scope scope, asgi::Peer& peer)
      : which_(which), config_(std::move(config)), scope_(std::move(scope)),
        exchange_(std::make_shared<Exchange>()) {
    exchange_->peer = &peer;
    loop_ = &peer.loop();
  }
  ~EndpointInstance() override { exchange_->peer = nullptr; }

  void receive(const asgi::ReceiveEvent& event) override {
    if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
      exchange_->peer = nullptr;
      return;
    }
    const auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (chunk == nullptr || started_) return;
    if (body_.size() + chunk->body.size() > kMaxAuthBodyBytes) {
      started_ = true;
      send(*exchange_, json_response(413, Value{{"error", "request_too_large"}}));
      return;
    }
    body_.append(chunk->body);
    if (chunk->more_body) return;
    started_ = true;
    spawn(answer(which_, config_, exchange_, Request{std::move(scope_), std::move(body_), loop_}));
  }

 private:
  Endpoint which_;
  AuthConfigPtr config_;
  asgi::Scope scope_;
  std::shared_ptr<Exchange> exchange_;
  asgi::EventLoop* loop_ = nullptr;
  std::string body_;
  bool started_ = false;
};

class EndpointApplication final : public asgi::Application {
 public:
  EndpointApplication(Endpoint which, AuthConfigPtr config)
      : which_(which), config_(std::move(config)) {}
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    return std::make_unique<EndpointInstance>(which_, config_, std::move(scope), peer);
  }
  std::string name() const override {
    switch (which_) {
      case Endpoint::kLogin: return "LoginEndpoint";
      case Endpoint::kLogout: return "LogoutEndpoint";
      case Endpoint::kToken: return "TokenEndpoint";
      case Endpoint::kRefresh: return "RefreshEndpoint";
      case Endpoint::kTicket: return "TicketEndpoint";
    }
    return "AuthEndpoint";
  }

 private:
  Endpoint which_;
  AuthConfigPtr config_;
};

}  // namespace

asgi::ApplicationPtr auth_endpoint(Endpoint which, AuthConfigPtr config) {
  return std::make_shared<EndpointApplication>(which, std::move(config));
}

std::vector<asgi::Route> auth_urlpatterns(AuthConfigPtr config) {
  return {
      asgi::path("auth/login", auth_endpoint(Endpoint::kLogin, config), "auth-login"),
      asgi::path("auth/logout", auth_endpoint(Endpoint::kLogout, config), "auth-logout"),
      asgi::path("auth/token", auth_endpoint(Endpoint::kToken, config), "auth-token"),
      asgi::path("auth/refresh", auth_endpoint(Endpoint::kRefresh, config), "auth-refresh"),
      asgi::path("auth/ticket", auth_endpoint(Endpoint::kTicket, config), "auth-ticket"),
  };
}

}  // namespace laurel::auth
