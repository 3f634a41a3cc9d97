// middleware/first_message_auth.cpp
#include "middleware/first_message_auth.h"

#include <deque>

#include "asgi/metrics.h"
#include "auth/jwt.h"
#include "auth/revocation.h"
#include "middleware/auth_middleware.h"
#include "middleware/socket_auth_guard.h"

namespace laurel::middleware {
namespace {

// Owned copy of a frame that arrives while the token is being checked.
struct HeldFrame {
  std::string data;
  bool binary;
};

class FirstMessageState final : public asgi::Peer,
                                public std::enable_shared_from_this<FirstMessageState> {
 public:
  FirstMessageState(asgi::ApplicationPtr inner, auth::AuthConfigPtr config, asgi::Scope scope,
                    asgi::Peer& real)
      : inner_app_(std::move(inner)), config_(std::move(config)), scope_(std::move(scope)),
        real_(&real), loop_(&real.loop()) {}

  // What the inner application sees as its peer: the handshake is already accepted.
  asgi::SendStatus send(const asgi::SendEvent& event) override {
    if (real_ == nullptr) return asgi::SendStatus::kDropped;
    if (std::holds_alternative<asgi::WebsocketAccept>(event)) return asgi::SendStatus::kOk;
    return real_->send(event);
  }
  asgi::EventLoop& loop() override { return *loop_; }

  void on_connect(std::chrono::milliseconds deadline) {
    real_->send(asgi::WebsocketAccept{});
    std::weak_ptr<FirstMessageState> weak = weak_from_this();
    timer_ = loop_->call_later(deadline, [weak] {
      if (auto self = weak.lock(); self && !self->inner_ && !self->checking_) {
        metrics::count_auth_failure("first_message_timeout");
        self->close(auth::kCloseUnauthorized, "authentication timeout");
      }
    });
  }

  void on_frame(const asgi::WebsocketReceive& frame) {
    if (closed_) return;
    if (inner_) {
      inner_->receive(frame);
      return;
    }
    if (checking_) {
      held_.push_back(HeldFrame{std::string(frame.data), frame.binary});
      return;
    }
    auto token = frame.binary ? std::nullopt : authenticate_message_token(frame.data);
    if (!token) {
      metrics::count_auth_failure("first_message_missing");
      return close(auth::kCloseUnauthorized, "authenticate first");
    }
    auth::JwtResult result = auth::verify_jwt(*token, config_->signing_key(), config_->now());
    auto uid = result ? result.claims->user_pk() : std::nullopt;
    if (!uid || !config_->revoked->token_valid(*uid, static_cast<double>(result.claims->iat))) {
      metrics::count_auth_failure("bad_token");
      return close(auth::kCloseUnauthorized, "invalid token");
    }
    checking_ = true;
    timer_.reset();
    spawn(finish(shared_from_this(), *uid, static_cast<double>(result.claims->exp)),
          [](std::exception_ptr) {});
  }

  void on_disconnect(const asgi::WebsocketDisconnect& gone) {
    closed_ = true;
    timer_.reset();
    if (inner_) inner_->receive(gone);
  }

  void detach() {
    timer_.reset();
    inner_.reset();
    real_ = nullptr;
  }

 private:
  static Task<void> finish(std::shared_ptr<FirstMessageState> self, std::int64_t user_id,
                           double expires_at) {
    auth::UserPtr user = co_await self->config_->users->find_by_id(*self->loop_, user_id);
    self->checking_ = false;
    if (self->real_ == nullptr || self->closed_) co_return;
    if (!user || !user->is_active) {
      metrics::count_auth_failure("unknown_user");
      self->close(auth::kCloseUnauthorized, "invalid token");
      co_return;
    }
    self->scope_["user"] = asgi::ObjectPtr(std::const_pointer_cast<auth::User>(user));
    self->scope_["auth"] = asgi::Value{
        {"method", "first_message"}, {"user_id", user->id}, {"expires_at", expires_at}};
    std::string reply =
        asgi::Value{{"type", "authenticated"},
                    {"expires_in", static_cast<std::int64_t>(expires_at - self->config_->now())}}
            .to_json();
    self->real_->send(asgi::WebsocketSend{reply, false});
    // Handed over, not copied: the consumer keeps the scope for the connection's life.
    self->inner_ = self->inner_app_->start(std::move(self->scope_), *self);
    if (!self->inner_) co_return;
    self->inner_->receive(asgi::WebsocketConnect{});
    auto held = std::move(self->held_);
    for (auto& frame : held) {
      if (!self->inner_ || self->closed_) break;
      self->inner_->receive(asgi::WebsocketReceive{frame.data, frame.binary});
    }
  }

  void close(int code, std::string_view reason) {
    if (closed_ || real_ == nullptr) return;
    closed_ = true;
    timer_.reset();
    real_->send(asgi::WebsocketClose{code, reason});
  }

  asgi::ApplicationPtr inner_app_;
  auth::AuthConfigPtr config_;
  asgi::Scope scope_;
  asgi::Peer* real_;
  asgi::EventLoop* loop_;
  std::unique_ptr<asgi::Instance> inner_;
  asgi::TimerPtr timer_;
  std::deque<HeldFrame> held_;
  bool checking_ = false;
  bool closed_ = false;
};

class FirstMessageInstance final : public asgi::Instance {
 public:
  FirstMessageInstance(std::shared_ptr<FirstMessageState> state,
                       std::chrono::milliseconds deadline)
      : state_(std::move(state)), deadline_(deadline) {}
  ~FirstMessageInstance() override { state_->detach(); }
  void receive(const asgi::ReceiveEvent& event) override {
    if (std::holds_alternative<asgi::WebsocketConnect>(event)) {
      state_->on_connect(deadline_);
    } else if (const auto* frame = std::get_if<asgi::WebsocketReceive>(&event)) {
      state_->on_frame(*frame);
    } else if (const auto* gone = std::get_if<asgi::WebsocketDisconnect>(&event)) {
      state_->on_disconnect(*gone);
    }
  }

 private:
  std::shared_ptr<FirstMessageState> state_;
  std::chrono::milliseconds deadline_;
};

}  // namespace

FirstMessageAuth::FirstMessageAuth(asgi::ApplicationPtr inner, auth::AuthConfigPtr config,
                                   std::chrono::milliseconds deadline)
    : Middleware(std::move(inner)), config_(std::move(config)), deadline_(deadline) {}

std::unique_ptr<asgi::Instance> FirstMessageAuth::start(asgi::Scope scope, asgi::Peer& peer) {
  if (scope.get_string("type") != "websocket" || user_of(scope)->is_authenticated()) {
    return inner_->start(std::move(scope), peer);
  }
  auto state = std::make_shared<FirstMessageState>(inner_, config_, std::move(scope), peer);
  return std::make_unique<FirstMessageInstance>(std::move(state), deadline_);
}

}  // namespace laurel::middleware
