#include "middleware/async_middleware.h"

#include <cstdint>
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

class DeferredInstance;

// Shared between the instance the server owns and the coroutine resolving the scope, so that
// either may end first.
struct Pending {
  enum class Stage : std::uint8_t {
    kResolving,   // events are held
    kReplaying,   // the inner instance gets the held events; newer ones queue behind them
    kForwarding,  // resolved: events go to `inner` (none if denied or the client left)
  };
  asgi::Scope scope;
  asgi::Peer* peer;                   // null once the owner destroyed the deferred instance
  DeferredInstance* owner = nullptr;  // null until start() returned it, and once destroyed
  std::vector<HeldEvent> held;
  std::unique_ptr<asgi::Instance> inner;
  Stage stage = Stage::kResolving;
  bool disconnected = false;
};

// What the owner holds until the scope is resolved. Once the inner instance has caught up with
// the held events, it asks the owner (Peer::replace_instance) to hold the inner instance
// instead and steps out of the event path; it forwards only when the owner cannot swap.
class DeferredInstance final : public asgi::Instance {
 public:
  explicit DeferredInstance(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {
    pending_->owner = this;
  }
  ~DeferredInstance() override {
    pending_->owner = nullptr;
    pending_->peer = nullptr;
    // While replaying, the inner instance may be inside receive(): the coroutine ends it.
    if (pending_->stage != Pending::Stage::kReplaying) pending_->inner.reset();
  }

  void receive(const asgi::ReceiveEvent& event) override {
    if (pending_->stage == Pending::Stage::kForwarding) {
      if (pending_->inner) pending_->inner->receive(event);
      return;
    }
    if (is_disconnect(event)) pending_->disconnected = true;
    pending_->held.push_back(hold(event));
  }

 private:
  std::shared_ptr<Pending> pending_;
};

// Starts the inner instance and gives it the held events in order, including any that arrive
// while it handles them. False when the owner let go of the deferred instance meanwhile.
bool replay(const asgi::ApplicationPtr& inner, Pending& pending) {
  pending.stage = Pending::Stage::kReplaying;
  pending.inner = inner->start(std::move(pending.scope), *pending.peer);
  for (std::size_t i = 0; i < pending.held.size() && pending.inner && pending.peer; ++i) {
    HeldEvent event = std::move(pending.held[i]);  // `held` may grow, and move, during the call
    pending.inner->receive(view_of(event));
  }
  pending.held = {};
  pending.stage = Pending::Stage::kForwarding;
  if (pending.peer != nullptr) return true;
  pending.inner.reset();
  return false;
}

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
  if (pending->peer == nullptr || pending->disconnected || denial) {
    pending->stage = Pending::Stage::kForwarding;
    pending->held = {};
    // Unless the client left meanwhile, the denial is the answer and nothing starts.
    if (denial && pending->peer != nullptr && !pending->disconnected) {
      send_denial(*pending->peer, pending->scope, *denial);
    }
    co_return;
  }
  try {
    if (!replay(inner, *pending)) co_return;
  } catch (...) {
    // As before the hand-over: the inner instance keeps getting later events.
    pending->held = {};
    pending->stage = Pending::Stage::kForwarding;
    if (pending->peer == nullptr) pending->inner.reset();
    throw;
  }
  // Still inside start() (nothing suspended): start() returns the inner instance itself.
  if (pending->owner == nullptr || !pending->inner) co_return;
  // The owner may destroy the deferred instance in this call; only `pending` is used after it.
  pending->peer->replace_instance(*pending->owner, pending->inner);
}

}  // namespace

std::unique_ptr<asgi::Instance> AsyncMiddleware::start(asgi::Scope scope, asgi::Peer& peer) {
  auto pending = std::make_shared<Pending>();
  pending->scope = std::move(scope);
  pending->peer = &peer;
  asgi::EventLoop& loop = peer.loop();
  spawn(resolve_then_start(this, inner_, pending, resolve(pending->scope, loop)));
  if (pending->stage == Pending::Stage::kForwarding) {
    // Resolved without suspending: nothing to hold, so no stand-in. Null when denied (the
    // denial was sent) or when the inner application answered at start.
    return std::move(pending->inner);
  }
  return std::make_unique<DeferredInstance>(std::move(pending));
}

}  // namespace laurel::middleware
