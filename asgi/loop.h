// asgi/loop.h
#pragma once

// What application code may ask of the event loop it runs on, without seeing libuv: timers,
// work on the thread pool that resumes on the loop (the role of Channels' database_sync_to_async),
// and hand-over from other threads. The server implements it with libuv; tests use the same one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace laurel::asgi {

using Clock = std::chrono::steady_clock;

// A pending timer. Destroying or cancelling it before it fires means it never fires.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void cancel() = 0;
};
using TimerPtr = std::unique_ptr<Timer>;

class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Runs `fn` on this loop soon. The only member that may be called from another thread.
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on this loop after `delay`, unless the returned timer is cancelled or destroyed.
  virtual TimerPtr call_later(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Runs `work` on the thread pool, then `done` on this loop. `work` must not touch loop state.
  virtual void run_blocking(std::function<void()> work, std::function<void()> done) = 0;
  // The loop's notion of now (an injected clock in tests).
  virtual Clock::time_point now() const { return Clock::now(); }
  // Wall-clock seconds since the epoch, for token and message expiry that crosses processes.
  virtual double wall_time() const;
  // This loop's index among the process's workers (0 with one worker).
  virtual int worker_index() const { return 0; }
  // The native loop (a uv_loop_t*) for adapters that plug a C library into it (hiredis). Only
  // .cpp files that include libuv themselves may use it.
  virtual void* native_handle() = 0;

  // The loop running on the calling thread, or nullptr off any loop.
  static EventLoop* current();
  static void set_current(EventLoop* loop);
};

}  // namespace laurel::asgi
