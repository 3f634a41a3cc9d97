// middleware/rate_limit.h
#pragma once

// Login rate limiting: password guessing is throttled per username and per client address,
// with token buckets kept in memory (per process, shared by its workers). A login request
// takes one token from the username's bucket and one from the address's bucket before it
// runs; a login that succeeds gives them back, so only failures use them up. An empty bucket
// answers 429 with Retry-After (seconds until one token is back) without checking the
// password, so guessing costs the attacker time and the server no hashing. The clock is
// injected, so tests step time instead of waiting.

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "middleware/middleware.h"

namespace laurel::middleware {

// A set of token buckets by key: `burst` tokens, refilled at `per_second`.
class TokenBuckets {
 public:
  TokenBuckets(double burst, double per_second) : burst_(burst), per_second_(per_second) {}
  // Takes one token from `key`'s bucket; false (and nothing taken) when it is empty.
  bool try_take(const std::string& key, double now);
  void give_back(const std::string& key, double now);
  // Seconds until `key` has a whole token again (0 when it has one now).
  double retry_after(const std::string& key, double now);

 private:
  struct Bucket {
    double tokens;
    double updated;
  };
  Bucket& refill_locked(const std::string& key, double now);

  double burst_;
  double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

struct LoginRateLimitOptions {
  double username_burst = 5;                 // failed logins in a row for one username ...
  double username_per_second = 1.0 / 60;     // ... then one more a minute
  double address_burst = 20;                 // failed logins in a row from one address ...
  double address_per_second = 1.0 / 6;       // ... then ten more a minute
  std::function<double()> clock;             // seconds; default: a steady clock
};

// Wraps the login endpoints (an HTTP application): counts POSTs whose answer is not 2xx.
class LoginRateLimit final : public Middleware {
 public:
  LoginRateLimit(asgi::ApplicationPtr inner, LoginRateLimitOptions options = {});
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override;
  std::string name() const override { return "LoginRateLimit"; }

  TokenBuckets& usernames() { return *usernames_; }
  TokenBuckets& addresses() { return *addresses_; }
  double now() const;

 private:
  LoginRateLimitOptions options_;
  std::shared_ptr<TokenBuckets> usernames_;
  std::shared_ptr<TokenBuckets> addresses_;
};

}  // namespace laurel::middleware
