// auth/hash_gate.cpp
#include "auth/hash_gate.h"

#include <cstdlib>
#include <string>

namespace laurel::auth {

HashGate& HashGate::process() {
  static HashGate gate([] {
    std::size_t pool = 4;  // libuv's default
    if (const char* env = std::getenv("UV_THREADPOOL_SIZE")) {
      try {
        pool = static_cast<std::size_t>(std::stoul(env));
      } catch (const std::exception&) {
      }
    }
    return pool > 1 ? pool - 1 : 1;
  }());
  return gate;
}

std::size_t HashGate::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::size_t HashGate::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

bool HashGate::try_take() {
  std::lock_guard lock(mutex_);
  if (in_use_ >= limit_ || !waiters_.empty()) return false;
  ++in_use_;
  return true;
}

void HashGate::wait(asgi::EventLoop& loop, std::coroutine_handle<> waiter) {
  {
    std::lock_guard lock(mutex_);
    if (in_use_ >= limit_ || !waiters_.empty()) {
      waiters_.push_back(Waiter{&loop, waiter});
      return;
    }
    ++in_use_;
  }
  // Never resume inside await_suspend: the caller's frame is still on this stack.
  loop.post([waiter] { waiter.resume(); });
}

void HashGate::release() {
  Waiter next{};
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
      --in_use_;
      return;
    }
    // The slot passes straight to the oldest waiter: in_use_ stays as it is.
    next = waiters_.front();
    waiters_.pop_front();
  }
  std::coroutine_handle<> handle = next.handle;
  next.loop->post([handle] { handle.resume(); });
}

}  // namespace laurel::auth
