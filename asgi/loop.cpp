// asgi/loop.cpp — the per-thread "current loop" and the default wall clock.

#include "asgi/loop.h"

namespace laurel::asgi {

namespace {
// One loop per thread (DESIGN.md), so the current loop is a property of the thread.
thread_local EventLoop* current_loop = nullptr;
}  // namespace

double EventLoop::wall_time() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

EventLoop* EventLoop::current() { return current_loop; }

void EventLoop::set_current(EventLoop* loop) { current_loop = loop; }

}  // namespace laurel::asgi
