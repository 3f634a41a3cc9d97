// auth/hash_gate.h
#pragma once

// Password hashing is slow on purpose (hundreds of milliseconds a hash), and it shares libuv's
// thread pool with quick database work such as session lookups. HashGate lets at most `limit`
// hashes occupy the pool at once; further ones wait in order, so a burst of logins always leaves
// pool threads free for everything else.

#include <coroutine>
#include <cstddef>
#include <deque>
#include <mutex>

#include "asgi/loop.h"

namespace laurel::auth {

class HashGate {
 public:
  explicit HashGate(std::size_t limit) : limit_(limit == 0 ? 1 : limit) {}

  // The process-wide gate: one less than libuv's pool size (UV_THREADPOOL_SIZE, default 4).
  static HashGate& process();

  // Released when destroyed: the next waiter (on whatever loop it waits) gets the slot.
  class Slot {
   public:
    explicit Slot(HashGate* gate) : gate_(gate) {}
    Slot(Slot&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_) gate_->release();
    }

   private:
    HashGate* gate_;
  };

  // `Slot slot = co_await gate.enter(loop);` resumes on `loop` once a slot is free. Keep the
  // awaiter in a named variable (GCC 12 mishandles temporary awaiters with state).
  struct Entry {
    HashGate& gate;
    asgi::EventLoop& loop;
    bool await_ready() { return gate.try_take(); }
    void await_suspend(std::coroutine_handle<> waiter) { gate.wait(loop, waiter); }
    Slot await_resume() { return Slot(&gate); }
  };
  Entry enter(asgi::EventLoop& loop) { return Entry{*this, loop}; }

  std::size_t limit() const { return limit_; }
  std::size_t in_use() const;
  std::size_t waiting() const;

 private:
  struct Waiter {
    asgi::EventLoop* loop;
    std::coroutine_handle<> handle;
  };
  bool try_take();
  // Takes the slot if one freed up meanwhile (then resumes `waiter` through its loop), else
  // queues it.
  void wait(asgi::EventLoop& loop, std::coroutine_handle<> waiter);
  void release();

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::deque<Waiter> waiters_;
};

}  // namespace laurel::auth
