// testing/run_loop.cpp

#include "testing/run_loop.h"

namespace laurel::testing {

server::UvLoop& default_loop() {
  thread_local server::UvLoop loop;
  return loop;
}

bool run_until(server::UvLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  if (done()) return true;
  bool expired = false;
  // The deadline timer also guarantees that a blocking iteration wakes up.
  asgi::TimerPtr deadline = loop.call_later(timeout, [&expired] { expired = true; });
  while (!done() && !expired) loop.run_once(true);
  deadline.reset();
  run_ready(loop, 1);  // let the cancelled timer's handle close
  return done();
}

void run_ready(server::UvLoop& loop, int rounds) {
  for (int i = 0; i < rounds; ++i) loop.run_once(false);
}

}  // namespace laurel::testing
