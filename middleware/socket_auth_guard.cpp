// middleware/socket_auth_guard.cpp
#include "middleware/socket_auth_guard.h"

#include <cmath>
#include <cstdio>

#include "asgi/metrics.h"
#include "auth/jwt.h"
#include "auth/revocation.h"
#include "channel_layer/default_layer.h"
#include "middleware/auth_middleware.h"

namespace laurel::middleware {
namespace {

// The guard's side of one socket: the Peer the inner application talks to, and the state the
// channel layer and the timer call back into. Shared with coroutines that may outlive the
// instance; `real_ == nullptr` means the server has let go.
class GuardState final : public asgi::Peer, public std::enable_shared_from_this<GuardState> {
 public:
  GuardState(asgi::Peer& real, auth::AuthConfigPtr config, SocketGuardOptions options,
             const asgi::Scope& scope)
      : real_(&real), loop_(&real.loop()), config_(std::move(config)), options_(options) {
    const asgi::Value& auth = scope["auth"];
    user_id_ = auth["user_id"].as_int();
    subprotocol_ = std::string(auth.get_string("subprotocol"));
    if (const asgi::Value* expires = auth.find("expires_at"); expires && expires->is_number()) {
      expires_at_ = expires->as_float();
    }
  }

  asgi::EventLoop& loop() override { return *loop_; }

  asgi::SendStatus send(const asgi::SendEvent& event) override {
    if (real_ == nullptr || closed_) return asgi::SendStatus::kDropped;
    if (const auto* accept = std::get_if<asgi::WebsocketAccept>(&event)) {
      asgi::SendStatus status;
      if (!accept->subprotocol && !subprotocol_.empty()) {
        asgi::WebsocketAccept chosen = *accept;
        chosen.subprotocol = subprotocol_;
        status = real_->send(chosen);
      } else {
        status = real_->send(event);
      }
      if (status != asgi::SendStatus::kDropped && !accepted_) {
        accepted_ = true;
        on_accepted();
      }
      return status;
    }
    if (std::holds_alternative<asgi::WebsocketClose>(event) ||
        std::holds_alternative<asgi::WebsocketHttpResponseStart>(event)) {
      stop();
      closed_ = true;
    }
    return real_->send(event);
  }

  // True when the frame was an in-band authenticate message (handled here).
  bool intercept(const asgi::WebsocketReceive& frame) {
    if (frame.binary || !accepted_ || closed_) return false;
    auto token = authenticate_message_token(frame.data);
    if (!token) return false;
    auth::JwtResult result = auth::verify_jwt(*token, config_->signing_key(), config_->now());
    auto uid = result ? result.claims->user_pk() : std::nullopt;
    if (!uid || *uid != user_id_ ||
        !config_->revoked->token_valid(*uid, static_cast<double>(result.claims->iat))) {
      metrics::count_auth_failure("socket_bad_token");
      close_with(auth::kCloseUnauthorized, "invalid token");
      return true;
    }
    expires_at_ = static_cast<double>(result.claims->exp);
    arm_expiry();
    asgi::Value reply{{"type", "authenticated"},
                      {"expires_in", static_cast<std::int64_t>(std::max(
                                         0.0, std::floor(*expires_at_ - config_->now())))}};
    std::string text = reply.to_json();
    real_->send(asgi::WebsocketSend{text, false});
    return true;
  }

  void on_disconnect() {
    stop();
    closed_ = true;
  }

  void detach() {
    stop();
    real_ = nullptr;
  }

  std::unique_ptr<asgi::Instance> inner;

 private:
  void on_accepted() {
    arm_expiry();
    layer_ = channel_layer::get_channel_layer();
    if (!layer_) return;  // no layer: revocation reaches this socket only by expiry
    channel_ = layer_->new_channel("laurel.guard");
    std::weak_ptr<GuardState> weak = weak_from_this();
    listening_ = layer_->listen(channel_, [this, weak](const asgi::Value& message) {
      if (message.get_string("type") != auth::kSessionRevokedType) return;
      // Closing ends this registration; do it after the delivery call has returned.
      loop_->post([weak, reason = std::string(message.get_string("reason", "revoked"))] {
        if (auto self = weak.lock(); self && self->real_ != nullptr && !self->closed_) {
          metrics::count_auth_failure("socket_revoked");
          self->close_with(auth::kCloseUnauthorized, reason);
        }
      });
    });
    spawn(join(shared_from_this()), [](std::exception_ptr) {});
  }

  static Task<void> join(std::shared_ptr<GuardState> self) {
    try {
      co_await self->layer_->group_add(auth::user_group(self->user_id_), self->channel_);
      self->joined_ = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "laurel: SocketAuthGuard: joining the user group failed: %s\n",
                   e.what());
    }
    // Left while joining: leave again so the group does not keep a dead channel.
    if (self->real_ == nullptr || self->closed_) self->leave();
  }

  void leave() {
    if (!joined_ || !layer_) return;
    joined_ = false;
    spawn(layer_->group_discard(auth::user_group(user_id_), channel_), [](std::exception_ptr) {});
  }

  void arm_expiry() {
    timer_.reset();
    if (!options_.enforce_token_expiry || !expires_at_) return;
    double left = *expires_at_ - config_->now();
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, left) * 1000));
    timer_ = loop_->call_later(delay, [this] {
      // The timer may fire early against an injected clock: re-check against it.
      if (expires_at_ && config_->now() < *expires_at_) return arm_expiry();
      if (real_ != nullptr && !closed_) metrics::count_auth_failure("socket_token_expired");
      close_with(auth::kCloseTokenExpired, "token expired");
    });
  }

  void close_with(int code, std::string_view reason) {
    if (real_ == nullptr || closed_) return;
    std::string text(reason);  // the message view may die with the delivery
    real_->send(asgi::WebsocketClose{code, text});
    stop();
    closed_ = true;
  }

  void stop() {
    if (timer_) timer_->cancel();
    timer_.reset();
    listening_.reset();
    leave();
  }

  asgi::Peer* real_;
  asgi::EventLoop* loop_;
  auth::AuthConfigPtr config_;
  SocketGuardOptions options_;
  std::int64_t user_id_ = 0;
  std::string subprotocol_;
  std::optional<double> expires_at_;
  bool accepted_ = false;
  bool closed_ = false;
  bool joined_ = false;
  asgi::TimerPtr timer_;
  channel_layer::ChannelLayerPtr layer_;
  std::string channel_;
  channel_layer::ListeningPtr listening_;
};

class GuardInstance final : public asgi::Instance {
 public:
  explicit GuardInstance(std::shared_ptr<GuardState> state) : state_(std::move(state)) {}
  ~GuardInstance() override {
    state_->inner.reset();  // the inner instance talks to state_ as its peer: it goes first
    state_->detach();
  }
  void receive(const asgi::ReceiveEvent& event) override {
    if (const auto* frame = std::get_if<asgi::WebsocketReceive>(&event)) {
      if (state_->intercept(*frame)) return;
    } else if (std::holds_alternative<asgi::WebsocketDisconnect>(event)) {
      state_->on_disconnect();
    }
    if (state_->inner) state_->inner->receive(event);
  }

 private:
  std::shared_ptr<GuardState> state_;
};

}  // namespace

std::optional<std::string> authenticate_message_token(std::string_view frame) {
  if (frame.size() > 16384 || frame.find("\"authenticate\"") == std::string_view::npos) {
    return std::nullopt;
  }
  try {
    asgi::Value message = asgi::Value::from_json(frame);
    if (!message.is_dict() || message.get_string("type") != "authenticate") return std::nullopt;
    return std::string(message.get_string("token"));
  } catch (const asgi::TypeError&) {
    return std::nullopt;
  }
}

SocketAuthGuard::SocketAuthGuard(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                                 SocketGuardOptions options)
    : Middleware(std::move(inner)), config_(std::move(config)), options_(options) {}

std::unique_ptr<asgi::Instance> SocketAuthGuard::start(asgi::Scope scope, asgi::Peer& peer) {
  const asgi::Value* auth = scope.find("auth");
  if (scope.get_string("type") != "websocket" || auth == nullptr || !auth->is_dict() ||
      !user_of(scope)->is_authenticated()) {
    return inner_->start(std::move(scope), peer);
  }
  auto state = std::make_shared<GuardState>(peer, config_, options_, scope);
  state->inner = inner_->start(std::move(scope), *state);
  if (!state->inner) {
    state->detach();
    return nullptr;
  }
  return std::make_unique<GuardInstance>(std::move(state));
}

}  // namespace laurel::middleware
