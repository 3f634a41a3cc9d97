// middleware/session_middleware.cpp
#include "middleware/session_middleware.h"

#include <chrono>
#include <stdexcept>
#include <utility>

namespace laurel::middleware {

Session::Session(auth::AuthConfigPtr config) : config_(std::move(config)) {}

const std::string& Session::session_key() const {
  static const std::string kNone;
  return key_ ? *key_ : kNone;
}

const auth::SessionData& Session::data() const {
  static const auth::SessionData kEmpty = auth::SessionData::object();
  return data_.is_null() ? kEmpty : data_;
}

auth::SessionData& Session::data() {
  modified_ = true;
  if (data_.is_null()) data_ = auth::SessionData::object();
  return data_;
}

void Session::load(std::string key, auth::SessionData data, auth::Timestamp expire_date) {
  key_ = key.empty() ? nullptr : std::make_unique<std::string>(std::move(key));
  data_ = data.is_object() ? std::move(data) : auth::SessionData::object();
  expire_date_ = expire_date;
  modified_ = false;
}

Task<void> Session::save(asgi::EventLoop& loop) {
  double now = config_->now();
  auth::Timestamp expire = auth::timestamp_from_unix(now + config_->session_cookie_age_seconds);
  std::string encoded = auth::encode_session(std::as_const(*this).data(), config_->keys, now);
  if (!key_) {
    // Django's create(): pick keys until one is free.
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::string key = auth::new_session_key();
      if (co_await config_->users->create_session(loop, key, encoded, expire)) {
        key_ = std::make_unique<std::string>(std::move(key));
        break;
      }
    }
    if (!key_) throw auth::StoreError("could not create a unique session key");
  } else {
    co_await config_->users->save_session(loop, *key_, encoded, expire);
  }
  expire_date_ = expire;
  modified_ = false;
}

Task<void> Session::flush(asgi::EventLoop& loop) {
  std::string old = key_ ? std::move(*key_) : std::string();
  key_.reset();
  data_ = auth::SessionData();
  modified_ = false;
  if (!old.empty()) co_await config_->users->delete_session(loop, std::move(old));
}

Task<void> Session::cycle_key(asgi::EventLoop& loop) {
  std::string old = key_ ? std::move(*key_) : std::string();
  key_.reset();
  co_await save(loop);
  if (!old.empty()) co_await config_->users->delete_session(loop, std::move(old));
}

SessionPtr session_of(const asgi::Scope& scope) {
  const asgi::Value* value = scope.find("session");
  return value ? value->as<Session>() : nullptr;
}

SessionMiddleware::SessionMiddleware(asgi::ApplicationPtr inner, auth::AuthConfigPtr config)
    : AsyncMiddleware(std::move(inner)), config_(std::move(config)) {}

Task<std::optional<Denial>> SessionMiddleware::resolve(asgi::Scope& scope,
                                                       asgi::EventLoop& loop) const {
  const asgi::Value* cookies = scope.find("cookies");
  if (cookies == nullptr || !cookies->is_dict()) {
    throw std::invalid_argument(
        "No cookies in scope - SessionMiddleware needs to run inside of CookieMiddleware "
        "(use AuthMiddlewareStack or SessionMiddlewareStack)");
  }
  auto session = std::make_shared<Session>(config_);
  std::string key(cookies->get_string(auth::kSessionCookieName));
  if (auth::is_valid_session_key(key)) {
    auto stored = co_await config_->users->load_session(
        loop, key, auth::timestamp_from_unix(config_->now()));
    if (stored) {
      // A row whose data does not verify is an empty session, as in Django (no error).
      auto data = auth::decode_session(stored->session_data, config_->keys);
      session->load(std::move(key), data ? std::move(*data) : auth::SessionData::object(),
                    stored->expire_date);
    }
  }
  scope["session"] = asgi::ObjectPtr(session);
  co_return std::nullopt;
}

}  // namespace laurel::middleware
