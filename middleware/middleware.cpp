#include "middleware/middleware.h"

#include <utility>

namespace laurel::middleware {

Denial Denial::forbidden(std::string body) {
  return Denial{403, {{"content-type", "text/plain; charset=utf-8"}}, std::move(body)};
}

Denial Denial::unauthorized(std::string www_authenticate, std::string body) {
  return Denial{401,
                {{"content-type", "text/plain; charset=utf-8"},
                 {"www-authenticate", std::move(www_authenticate)}},
                std::move(body)};
}

void send_denial(asgi::Peer& peer, const asgi::Scope& scope, const Denial& denial) {
  asgi::Headers headers = denial.headers;
  headers.emplace_back("content-length", std::to_string(denial.body.size()));
  if (scope.get_string("type") == "websocket") {
    peer.send(asgi::WebsocketHttpResponseStart{denial.status, std::move(headers)});
    peer.send(asgi::WebsocketHttpResponseBody{denial.body, false});
  } else {
    peer.send(asgi::HttpResponseStart{denial.status, std::move(headers)});
    peer.send(asgi::HttpResponseBody{denial.body, false});
  }
}

Middleware::Middleware(asgi::ApplicationPtr inner) : inner_(std::move(inner)) {}

void Middleware::describe(std::vector<asgi::RouteDescription>& out,
                          const asgi::RouteDescription& context) const {
  asgi::RouteDescription inner_context = context;
  inner_context.middleware.push_back(name());
  inner_->describe(out, inner_context);
}

bool Middleware::match(const asgi::Scope& scope, const asgi::RouteDescription& context,
                       asgi::RouteMatch& out) const {
  asgi::RouteDescription inner_context = context;
  inner_context.middleware.push_back(name());
  return inner_->match(scope, inner_context, out);
}

std::unique_ptr<asgi::Instance> ScopeMiddleware::start(asgi::Scope scope, asgi::Peer& peer) {
  if (auto denial = process(scope)) {
    send_denial(peer, scope, *denial);
    return nullptr;
  }
  return inner_->start(std::move(scope), peer);
}

}  // namespace laurel::middleware
