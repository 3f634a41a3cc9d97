// middleware/rate_limit.cpp
#include "middleware/rate_limit.h"

#include <chrono>
#include <cmath>

#include "asgi/metrics.h"
#include "auth/endpoints.h"

namespace laurel::middleware {

namespace {
constexpr std::size_t kMaxBuckets = 100000;  // bounded memory under a spray of usernames
}

TokenBuckets::Bucket& TokenBuckets::refill_locked(const std::string& key, double now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxBuckets) {
      // Full buckets carry no information: drop them first.
      for (auto i = buckets_.begin(); i != buckets_.end();) {
        double tokens = std::min(burst_, i->second.tokens + (now - i->second.updated) * per_second_);
        i = tokens >= burst_ ? buckets_.erase(i) : std::next(i);
      }
    }
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, now - b.updated) * per_second_);
  b.updated = now;
  return b;
}

bool TokenBuckets::try_take(const std::string& key, double now) {
  std::lock_guard lock(mutex_);
  Bucket& b = refill_locked(key, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void TokenBuckets::give_back(const std::string& key, double now) {
  std::lock_guard lock(mutex_);
  Bucket& b = refill_locked(key, now);
  b.tokens = std::min(burst_, b.tokens + 1);
}

double TokenBuckets::retry_after(const std::string& key, double now) {
  std::lock_guard lock(mutex_);
  Bucket& b = refill_locked(key, now);
  return b.tokens >= 1 ? 0 : (1 - b.tokens) / per_second_;
}

namespace {

struct Limits {
  std::shared_ptr<TokenBuckets> usernames;
  std::shared_ptr<TokenBuckets> addresses;
  const LoginRateLimit* owner;
};

// Buffers the request body (the username is in it), decides, then runs the inner application
// through a peer that sees the response status.
class LimitInstance final : public asgi::Instance, public asgi::Peer {
 public:
  LimitInstance(asgi::ApplicationPtr inner, Limits limits, asgi::Scope scope, asgi::Peer& peer)
      : inner_app_(std::move(inner)), limits_(std::move(limits)), scope_(std::move(scope)),
        real_(peer) {
    const asgi::Value* client = scope_.find("client");
    address_ = client && client->is_list() && client->size() > 0 && (*client)[0].is_string()
                   ? (*client)[0].as_string()
                   : std::string("unknown");
  }

  void receive(const asgi::ReceiveEvent& event) override {
    if (inner_) return inner_->receive(event);
    const auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (chunk == nullptr || decided_) return;
    if (body_.size() + chunk->body.size() > auth::kMaxAuthBodyBytes) {
      decided_ = true;
      return answer(413, "{\"error\":\"request_too_large\"}\n", {});
    }
    body_.append(chunk->body);
    if (chunk->more_body) return;
    decided_ = true;
    std::string content_type;
    for (const auto& pair : scope_["headers"].as_list()) {
      if (pair[0].as_bytes() == "content-type") content_type = pair[1].as_bytes();
    }
    auto fields = auth::parse_body_fields(content_type, body_);
    if (fields && fields->contains("username")) {
      username_ = "u:" + std::string((*fields)["username"].as_string());
    }
    double now = limits_.owner->now();
    std::string address_key = "a:" + address_;
    bool user_ok = username_.empty() || limits_.usernames->try_take(username_, now);
    bool address_ok = user_ok && limits_.addresses->try_take(address_key, now);
    if (!user_ok || !address_ok) {
      if (user_ok && !username_.empty()) limits_.usernames->give_back(username_, now);
      double wait = std::max(username_.empty() ? 0 : limits_.usernames->retry_after(username_, now),
                             limits_.addresses->retry_after(address_key, now));
      auto seconds = static_cast<long long>(std::ceil(std::max(1.0, wait)));
      metrics::count_auth_failure("rate_limited");
      return answer(429,
                    "{\"error\":\"rate_limited\",\"detail\":\"Too many failed logins. Try again "
                    "later.\",\"retry_after\":" + std::to_string(seconds) + "}\n",
                    {{"retry-after", std::to_string(seconds)}});
    }
    taken_ = true;
    inner_ = inner_app_->start(std::move(scope_), *this);
    if (inner_) inner_->receive(asgi::HttpRequest{body_, false});
  }

  asgi::SendStatus send(const asgi::SendEvent& event) override {
    if (const auto* start = std::get_if<asgi::HttpResponseStart>(&event)) {
      if (taken_ && start->status >= 200 && start->status < 300) {
        // A successful login does not count against anyone.
        double now = limits_.owner->now();
        if (!username_.empty()) limits_.usernames->give_back(username_, now);
        limits_.addresses->give_back("a:" + address_, now);
      }
      taken_ = false;
    }
    return real_.send(event);
  }
  asgi::EventLoop& loop() override { return real_.loop(); }

  ~LimitInstance() override { inner_.reset(); }

 private:
  void answer(int status, std::string body, asgi::Headers extra) {
    asgi::Headers headers = {{"content-type", "application/json"},
                             {"content-length", std::to_string(body.size())}};
    for (auto& h : extra) headers.push_back(std::move(h));
    real_.send(asgi::HttpResponseStart{status, std::move(headers)});
    real_.send(asgi::HttpResponseBody{body, false});
  }

  asgi::ApplicationPtr inner_app_;
  Limits limits_;
  asgi::Scope scope_;
  asgi::Peer& real_;
  std::unique_ptr<asgi::Instance> inner_;
  std::string body_;
  std::string username_;
  std::string address_;
  bool decided_ = false;
  bool taken_ = false;
};

}  // namespace

LoginRateLimit::LoginRateLimit(asgi::ApplicationPtr inner, LoginRateLimitOptions options)
    : Middleware(std::move(inner)),
      options_(std::move(options)),
      usernames_(std::make_shared<TokenBuckets>(options_.username_burst,
                                                options_.username_per_second)),
      addresses_(std::make_shared<TokenBuckets>(options_.address_burst,
                                                options_.address_per_second)) {}

double LoginRateLimit::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<asgi::Instance> LoginRateLimit::start(asgi::Scope scope, asgi::Peer& peer) {
  if (scope.get_string("type") != "http" || scope.get_string("method") != "POST") {
    return inner_->start(std::move(scope), peer);
  }
  return std::make_unique<LimitInstance>(inner_, Limits{usernames_, addresses_, this},
                                         std::move(scope), peer);
}

}  // namespace laurel::middleware
