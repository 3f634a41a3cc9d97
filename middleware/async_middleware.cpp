#include "middleware/async_middleware.h"

#include <cstdio>
#include <exception>
#include <string>
#include <variant>
#include <vector>

namespace laurel::middleware {
namespace {

// An owned copy of a receive event: the events' views die with the call that carried them.
struct HeldEvent {
  asgi::ReceiveEvent event;
  std::string payload;
};

HeldEvent hold(const asgi::ReceiveEvent& event) {
  HeldEvent held{event, {}};
  std::visit(
      [&held](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, asgi::HttpRequest>) {
          held.payload.assign(e.body);
        } else if constexpr (std::is_same_v<E, asgi::WebsocketReceive>) {
          held.payload.assign(e.data);
        } else if constexpr (std::is_same_v<E, asgi::WebsocketDisconnect>) {
          held.payload.assign(e.reason);
        }
      },
      held.event);
  return held;
}

// Points the held event's view back at its own payload (after the vector may have moved it).
asgi::ReceiveEvent view_of(HeldEvent& held) {
  asgi::ReceiveEvent event = held.event;
  std::visit(
      [&held](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, asgi::HttpRequest>) {
          e.body = held.payload;
        } else if constexpr (std::is_same_v<E, asgi::WebsocketReceive>) {
          e.data = held.payload;
        } else if constexpr (std::is_same_v<E, asgi::WebsocketDisconnect>) {
          e.reason = held.payload;
        }
      },
      event);
  return event;
}

bool is_disconnect(const asgi::ReceiveEvent& event) {
  return std::holds_alternative<asgi::HttpDisconnect>(event) ||
         std::holds_alternative<asgi::WebsocketDisconnect>(event);
}

// Shared between the instance the server owns and the coroutine resolving the scope, so that
// either may end first.
struct Pending {
  asgi::Scope scope;
  asgi::Peer* peer;  // null once the server destroyed the instance
  std::vector<HeldEvent> held;
  std::unique_ptr<asgi::Instance> inner;
  bool resolved = false;
  bool disconnected = false;
};

class DeferredInstance final : public asgi::Instance {
 public:
  explicit DeferredInstance(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {}
  ~DeferredInstance() override {
    pending_->peer = nullptr;
    pending_->inner.reset();
  }

  void receive(const asgi::ReceiveEvent& event) override {
    if (pending_->resolved) {
      if (pending_->inner) pending_->inner->receive(event);
      return;
    }
    if (is_disconnect(event)) pending_->disconnected = true;
    pending_->held.push_back(hold(event));
  }

 private:
  std::shared_ptr<Pending> pending_;
};

Task<void> resolve_then_start(const AsyncMiddleware* self, const asgi::ApplicationPtr inner,
                              std::shared_ptr<Pending> pending,
                              Task<std::optional<Denial>> resolving) {
  std::optional<Denial> denial;
  try {
    denial = co_await std::move(resolving);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: %s failed: %s\n", self->name().c_str(), e.what());
    denial = Denial{500, {{"content-type", "text/plain; charset=utf-8"}}, "Server Error\n"};
  }
  pending->resolved = true;
  if (pending->peer == nullptr || pending->disconnected) co_return;  // the client left meanwhile
  if (denial) {
    send_denial(*pending->peer, pending->scope, *denial);
    co_return;
  }
  pending->inner = inner->start(std::move(pending->scope), *pending->peer);
  auto held = std::move(pending->held);
  for (auto& event : held) {
    if (!pending->inner) break;
    pending->inner->receive(view_of(event));
  }
}

}  // namespace

std::unique_ptr<asgi::Instance> AsyncMiddleware::start(asgi::Scope scope, asgi::Peer& peer) {
  auto pending = std::make_shared<Pending>();
  pending->scope = std::move(scope);
  pending->peer = &peer;
  auto instance = std::make_unique<DeferredInstance>(pending);
  asgi::EventLoop& loop = peer.loop();
  spawn(resolve_then_start(this, inner_, pending, resolve(pending->scope, loop)));
  return instance;
}

}  // namespace laurel::middleware
