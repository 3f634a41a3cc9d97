// asgi/task.h
#pragma once

// Task<T>: the coroutine type consumer, middleware and channel-layer code is written in, so a
// port of an `async def` stays linear (`co_await channel_layer().group_add(...)`). Tasks start
// when awaited (or when spawned), resume their awaiter by symmetric transfer, and carry
// exceptions to it. `spawn` runs one detached; `run_blocking` is database_sync_to_async.

#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "asgi/loop.h"

namespace laurel {

template <class T = void>
class Task;

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;
  // True while the awaiter is running this task inline (see Task::operator co_await).
  bool running_inline = false;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      PromiseBase& p = h.promise();
      if (p.running_inline) {  // the awaiter is still on the stack and resumes by returning
        p.running_inline = false;
        return std::noop_coroutine();
      }
      return p.continuation;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool valid() const { return static_cast<bool>(h_); }
  bool done() const { return h_ && h_.done(); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() noexcept { return !h || h.done(); }
      // Runs the task inline and continues without suspending when it finishes at once, rather
      // than by symmetric transfer: GCC does not make that transfer a tail call without
      // optimisation, so a loop of tasks that complete immediately would grow the stack.
      bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
        auto& p = h.promise();
        p.continuation = awaiting;
        p.running_inline = true;
        h.resume();
        if (h.done() && !p.running_inline) return false;
        p.running_inline = false;  // suspended: the final awaiter will resume `awaiting`
        return true;
      }
      T await_resume() { return h.promise().take(); }
    };
    return Awaiter{h_};
  }

  // For drivers (spawn, tests): start or resume the coroutine directly.
  Handle handle() const { return h_; }
  T result() { return h_.promise().take(); }

 private:
  Handle h_{};
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

// A fire-and-forget coroutine frame that frees itself when it finishes.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Reports an exception that escaped a spawned task with no handler (stderr).
void report_unhandled(std::exception_ptr error) noexcept;

// Detached tasks running on this thread: a worker that shuts down waits for them, since a task
// still awaiting a reply (a consumer leaving its groups) holds its consumer and channel layer.
inline thread_local int detached_in_flight = 0;

inline Detached run_detached(Task<void> task, std::function<void(std::exception_ptr)> on_error) {
  struct InFlight {
    InFlight() { ++detached_in_flight; }
    ~InFlight() { --detached_in_flight; }
  } in_flight;
  try {
    co_await std::move(task);
  } catch (...) {
    if (on_error) {
      on_error(std::current_exception());
    } else {
      report_unhandled(std::current_exception());
    }
  }
}
}  // namespace detail

// Starts `task` now, detached: it runs until its first suspension before spawn returns, and its
// frame frees itself when it ends. An escaping exception goes to `on_error` (or to stderr).
inline void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_error = {}) {
  detail::run_detached(std::move(task), std::move(on_error));
}

// Spawned tasks on this thread that have not finished yet.
inline int spawned_tasks_in_flight() { return detail::detached_in_flight; }

// Runs `fn` on the loop's thread pool and resumes the awaiting coroutine on the loop with its
// result (or its exception): Channels' database_sync_to_async / sync_to_async.
template <class Fn>
auto run_blocking(asgi::EventLoop& loop, Fn fn) {
  using R = std::invoke_result_t<Fn&>;
  struct Awaiter {
    asgi::EventLoop& loop;
    Fn fn;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
    std::exception_ptr error;
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      loop.run_blocking(
          [this] {
            try {
              if constexpr (std::is_void_v<R>) {
                fn();
              } else {
                result.emplace(fn());
              }
            } catch (...) {
              error = std::current_exception();
            }
          },
          [h] { h.resume(); });
    }
    R await_resume() {
      if (error) std::rethrow_exception(error);
      if constexpr (!std::is_void_v<R>) return std::move(*result);
    }
  };
  return Awaiter{loop, std::move(fn)};
}

// Suspends the awaiting coroutine for `delay` on `loop` (asyncio.sleep).
inline auto sleep_for(asgi::EventLoop& loop, std::chrono::milliseconds delay) {
  struct Awaiter {
    asgi::EventLoop& loop;
    std::chrono::milliseconds delay;
    asgi::TimerPtr timer;
    bool await_ready() noexcept { return delay.count() <= 0; }
    void await_suspend(std::coroutine_handle<> h) {
      timer = loop.call_later(delay, [h] { h.resume(); });
    }
    void await_resume() noexcept {}
  };
  return Awaiter{loop, delay, nullptr};
}

}  // namespace laurel
