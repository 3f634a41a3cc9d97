// testing/run_loop.h
#pragma once

// Driving a real loop from a test, without sleeping: run it until a condition holds or a
// deadline passes, or until a coroutine finishes (asyncio's run_until_complete).

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "asgi/task.h"
#include "server/uv_loop.h"

namespace laurel::testing {

// A wait in a test ran past its deadline (asyncio.TimeoutError).
class Timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Makes `loop` the calling thread's current loop for a scope (code that starts consumers or
// calls listen() outside a running loop needs one).
class ScopedCurrentLoop {
 public:
  explicit ScopedCurrentLoop(asgi::EventLoop& loop) : previous_(asgi::EventLoop::current()) {
    asgi::EventLoop::set_current(&loop);
  }
  ~ScopedCurrentLoop() { asgi::EventLoop::set_current(previous_); }
  ScopedCurrentLoop(const ScopedCurrentLoop&) = delete;
  ScopedCurrentLoop& operator=(const ScopedCurrentLoop&) = delete;

 private:
  asgi::EventLoop* previous_;
};

// The loop tests on this thread share by default (communicators, run_until_complete).
server::UvLoop& default_loop();

// Runs `loop` until `done()` is true (checked after every iteration) or `timeout` passes.
// Returns done().
bool run_until(server::UvLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(1));

// Runs ready work without blocking, a few rounds, so posted hand-overs settle.
void run_ready(server::UvLoop& loop, int rounds = 8);

namespace detail {
template <class T>
struct Completion {
  bool done = false;
  std::exception_ptr error;
  std::optional<T> value;
};
template <>
struct Completion<void> {
  bool done = false;
  std::exception_ptr error;
};

template <class T>
Task<void> complete_into(std::shared_ptr<Completion<T>> out, Task<T> task) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
    } else {
      out->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    out->error = std::current_exception();
  }
  out->done = true;
}
}  // namespace detail

// Runs `task` on `loop` to completion and returns its result (or rethrows its exception).
// Throws Timeout if it has not finished after `timeout`; the task is then left suspended.
template <class T>
T run_until_complete(server::UvLoop& loop, Task<T> task,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto state = std::make_shared<detail::Completion<T>>();
  {
    ScopedCurrentLoop current(loop);
    spawn(detail::complete_into<T>(state, std::move(task)));
  }
  if (!run_until(
          loop, [&] { return state->done; }, timeout)) {
    throw Timeout("run_until_complete: the task did not finish within " +
                  std::to_string(timeout.count()) + " ms");
  }
  if (state->error) std::rethrow_exception(state->error);
  if constexpr (!std::is_void_v<T>) return std::move(*state->value);
}

template <class T>
T run_until_complete(Task<T> task, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return run_until_complete(default_loop(), std::move(task), timeout);
}

}  // namespace laurel::testing
